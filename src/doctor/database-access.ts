import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.js";
import { acquireDataDirLock, DataDirLockedError } from "../db/data-dir-lock.js";
import type { DatabaseHandle } from "../db/database.js";
import { openPglite } from "../db/pglite.js";
import { openPostgres } from "../db/postgres.js";
import type { Logger } from "../logger.js";
import { settleBy, withDeadline } from "../resilience/deadline.js";

/** What opening the configured database gave: the database, or why it was not (or could not be) opened. */
export type DatabaseAccess =
  | { readonly kind: "open"; readonly handle: DatabaseHandle; readonly where: string }
  /** PGlite only: a running bot holds DATA_DIR; opening it too could corrupt it, so the doctor does not. */
  | { readonly kind: "in-use"; readonly where: string; readonly pid: number }
  /** PGlite only: the bot has not created its database yet (it does at its first start). */
  | { readonly kind: "absent"; readonly where: string }
  | { readonly kind: "failed"; readonly where: string; readonly error: unknown };

/** The configured database, opened once for every check that reads it, and closed at the end of the run. */
export interface DatabaseProbe {
  /** How long {@link open} may take. */
  readonly openLimitMs: number;
  open(): Promise<DatabaseAccess>;
  close(): Promise<void>;
}

/**
 * Opening the embedded database is local work, not a peer that may be dead: 1.5–4 s cold, more on a busy machine.
 * It gets at least this long; the run's (shorter) timeout is for servers that do not answer.
 */
export const PGLITE_OPEN_TIMEOUT_MS = 30_000;

/** Where a PostgreSQL URL points, without its user and password. */
function postgresWhere(url: string): string {
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.host}${parsed.pathname}`;
  } catch {
    return "PostgreSQL (DATABASE_URL)";
  }
}

/**
 * Opens the database the way the bot does: PostgreSQL at DATABASE_URL, else PGlite in DATA_DIR under the bot's
 * data-dir lock (taken for the doctor's few seconds, so a bot starting meanwhile waits for nothing worse than a
 * refusal). Never creates a database that does not exist yet. Gives up after `timeoutMs` (PGlite: {@link PGLITE_OPEN_TIMEOUT_MS}).
 */
export function databaseProbe(config: Config, logger: Logger, timeoutMs: number): DatabaseProbe {
  const openLimitMs = config.database.url === undefined ? Math.max(timeoutMs, PGLITE_OPEN_TIMEOUT_MS) : timeoutMs;
  let opened: Promise<DatabaseAccess> | undefined;
  let release: (() => void) | undefined;
  let handle: DatabaseHandle | undefined;

  async function openPostgresAccess(url: string): Promise<DatabaseAccess> {
    const where = postgresWhere(url);
    handle = openPostgres(url, logger);
    const connected = handle;
    try {
      await withDeadline(timeoutMs, () => connected.ping());
      return { kind: "open", handle: connected, where };
    } catch (error) {
      return { kind: "failed", where, error };
    }
  }

  async function openPgliteAccess(dataDir: string): Promise<DatabaseAccess> {
    const where = `PGlite in ${join(dataDir, "pglite")}`;
    if (!existsSync(join(dataDir, "pglite", "PG_VERSION"))) return { kind: "absent", where };
    try {
      release = acquireDataDirLock(dataDir);
    } catch (error) {
      if (error instanceof DataDirLockedError) return { kind: "in-use", where, pid: error.ownerPid };
      return { kind: "failed", where, error };
    }
    try {
      handle = await withDeadline(openLimitMs, () => openPglite(dataDir));
      return { kind: "open", handle, where };
    } catch (error) {
      return { kind: "failed", where, error };
    }
  }

  return {
    openLimitMs,
    open() {
      opened ??= config.database.url !== undefined ? openPostgresAccess(config.database.url) : openPgliteAccess(config.database.dataDir);
      return opened;
    },
    async close() {
      if (handle) await settleBy(handle.close(), Date.now() + 2_000);
      release?.();
    },
  };
}
