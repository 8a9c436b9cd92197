import { sql, type SQL } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { Database } from "./database.js";
import { MIGRATIONS_FOLDER } from "./migrations-folder.js";
import { resultRows } from "./raw-rows.js";

/** How the database stands against the committed migrations (drizzle's `drizzle.__drizzle_migrations` journal). */
export interface MigrationStatus {
  /** Migrations this code ships that the database has. */
  readonly applied: number;
  /** Migrations this code ships that the next start applies. */
  readonly pending: number;
  /** Migrations the database has that this code does not know: a newer version of the bot ran on it. */
  readonly unknown: number;
}

/** The rows `query` answers, whichever driver runs it. */
async function rows(db: Database, query: SQL): Promise<Record<string, unknown>[]> {
  return resultRows(await db.execute(query));
}

/**
 * Reads, without changing anything, which committed migrations the database has. Drizzle applies every migration
 * newer than the newest one recorded (by its folder timestamp), so that is how pending ones are counted here too.
 */
export async function readMigrationStatus(db: Database, migrationsFolder = MIGRATIONS_FOLDER): Promise<MigrationStatus> {
  const shipped = readMigrationFiles({ migrationsFolder }).map((migration) => migration.folderMillis);
  const [journal] = await rows(db, sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if (journal?.present !== true) return { applied: 0, pending: shipped.length, unknown: 0 };
  const recorded = (await rows(db, sql`select created_at from drizzle.__drizzle_migrations`)).map((row) => Number(row.created_at));
  const newest = Math.max(0, ...recorded);
  const known = new Set(shipped);
  return {
    applied: shipped.filter((millis) => millis <= newest).length,
    pending: shipped.filter((millis) => millis > newest).length,
    unknown: recorded.filter((millis) => !known.has(millis)).length,
  };
}

/** The server's PostgreSQL version as it reports it (e.g. "16.4"; PGlite's embedded one too). */
export async function serverVersion(db: Database): Promise<string> {
  const [row] = await rows(db, sql`show server_version`);
  const version = typeof row?.server_version === "string" ? row.server_version : "unknown";
  return version.split(" ")[0] ?? version;
}
