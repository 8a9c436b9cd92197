import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Logger } from "../logger.js";
import type { DatabaseHandle } from "./database.js";
import { MIGRATIONS_FOLDER } from "./migrations-folder.js";
import * as schema from "./schema.js";

/** Advisory lock key that serialises migrations across replicas ("rgb-migrate" as a number). */
const MIGRATION_LOCK_KEY = 7_261_990_133;

/**
 * A single-connection client for one long-lived session (the leader lock, the wake-up LISTEN): never retired by an
 * idle or lifetime limit, since what it holds dies with the session. `onclose` is told when the connection closes.
 */
export function openSessionClient(url: string, purpose: string, onclose?: () => void): postgres.Sql {
  return postgres(url, {
    max: 1,
    connect_timeout: 5,
    idle_timeout: 0,
    max_lifetime: 0,
    fetch_types: false,
    onnotice: () => undefined,
    ...(onclose ? { onclose } : {}),
    connection: { application_name: `reply-guy-bot ${purpose}` },
  });
}

/** Connects to a PostgreSQL server through postgres-js (a pool that reconnects on its own). */
export function openPostgres(url: string, logger: Logger): DatabaseHandle {
  const client = postgres(url, {
    max: 10,
    connect_timeout: 10,
    idle_timeout: 60,
    // No array columns here; and postgres.js runs this per-connection type query without a
    // handler, so a connection killed during it was an unhandled rejection.
    fetch_types: false,
    onnotice: () => undefined,
  });
  const db = drizzle({ client, schema });
  return {
    db,
    kind: "postgres",
    async migrate() {
      // A dedicated single connection holds the session-level advisory lock for the whole run,
      // so a second replica booting at the same moment waits and then finds nothing to do.
      const lockClient = postgres(url, { max: 1, connect_timeout: 10, fetch_types: false, onnotice: () => undefined });
      try {
        await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
        logger.debug("migration lock acquired");
        await migrate(drizzle({ client: lockClient, schema }), { migrationsFolder: MIGRATIONS_FOLDER });
        await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
      } finally {
        await lockClient.end({ timeout: 5 });
      }
    },
    async ping() {
      const started = performance.now();
      await db.execute(sql`select 1`);
      return performance.now() - started;
    },
    close: () => client.end({ timeout: 5 }),
  };
}
