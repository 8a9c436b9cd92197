import { readMigrationFiles } from "drizzle-orm/migrator";
import { MIGRATIONS_FOLDER } from "../db/migrations-folder.js";
import { readMigrationStatus, serverVersion, type MigrationStatus } from "../db/migration-status.js";
import { isDeadlineExceeded } from "../resilience/deadline.js";
import { fail, ok, reasonOf, warn, type CheckLine, type DoctorCheck } from "./check.js";
import type { DatabaseProbe } from "./database-access.js";

const NAME = "Database";

function migrationsText(status: MigrationStatus): string {
  const pending = status.pending === 0 ? "none pending" : `${status.pending} pending (applied at the next start)`;
  return `${status.applied} migration${status.applied === 1 ? "" : "s"} applied, ${pending}`;
}

/**
 * Connects to the configured database and reads its migrations: applied, pending, or unknown to this code. A PGlite
 * directory held by a running bot is a warning (the bot is using it), not a failure.
 */
export function databaseCheck(probe: DatabaseProbe, postgres: boolean, timeoutMs: number): DoctorCheck {
  const fix = postgres ? "check DATABASE_URL and that PostgreSQL is running and reachable from here" : "check DATA_DIR and its permissions";
  return {
    name: NAME,
    // Opening, then two short reads.
    timeLimitMs: probe.openLimitMs + timeoutMs,
    onTimeout: fix,
    async run(): Promise<CheckLine> {
      const access = await probe.open();
      switch (access.kind) {
        case "in-use":
          return warn(NAME, `${access.where} is in use by a running bot (pid ${access.pid}); not opened`, "stop the bot to check it, or read /health");
        case "absent": {
          const count = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
          return ok(NAME, `${access.where} not created yet; the first start creates it and applies ${count} migrations`);
        }
        case "failed": {
          const reason = isDeadlineExceeded(access.error) ? "no answer in time" : reasonOf(access.error);
          return fail(NAME, `cannot open ${access.where} (${reason})`, fix);
        }
        case "open": {
          const [version, status] = await Promise.all([serverVersion(access.handle.db), readMigrationStatus(access.handle.db)]);
          const text = `${access.where} (PostgreSQL ${version}), ${migrationsText(status)}`;
          if (status.unknown > 0) {
            return warn(NAME, `${text}; ${status.unknown} migration${status.unknown === 1 ? "" : "s"} newer than this code`, "a newer version of the bot ran on this database: run that version");
          }
          return ok(NAME, text);
        }
      }
    },
  };
}
