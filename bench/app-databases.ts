import { PGlite } from "@electric-sql/pglite";
import { pgliteHandle } from "../src/db/pglite.js";
import { openPostgres } from "../src/db/postgres.js";
import type { TestDatabase } from "../test/support/database.js";
import { silentLogger } from "../test/support/logger.js";
import { withScratchDatabase } from "./scratch-db.js";

/** A migrated database for an in-process app, and the environment that points the app at it. */
export interface AppDatabase {
  readonly name: "PGlite" | "PostgreSQL";
  readonly database: TestDatabase;
  /** DATABASE_URL on PostgreSQL (leader election and LISTEN/NOTIFY wake-ups, as a deployment runs). */
  readonly env: Record<string, string>;
}

/**
 * Runs `use` on an in-memory PGlite, then on a scratch database of the local PostgreSQL (see scratch-db.ts), each
 * migrated and closed afterwards. `route` may put something between the app and the server (a slow proxy): it gets
 * the scratch database's URL and returns the one the app connects to.
 */
export async function onEachDatabase(label: string, use: (target: AppDatabase) => Promise<void>, route: (url: string) => string = (url) => url): Promise<void> {
  const pglite = pgliteHandle(await PGlite.create());
  try {
    await pglite.migrate();
    await use({ name: "PGlite", database: { handle: pglite, url: undefined, dispose: () => pglite.close() }, env: {} });
  } finally {
    await pglite.close();
  }
  await withScratchDatabase(label, async (url) => {
    const appUrl = route(url);
    const handle = openPostgres(appUrl, silentLogger());
    try {
      await handle.migrate();
      await use({ name: "PostgreSQL", database: { handle, url: appUrl, dispose: () => handle.close() }, env: { DATABASE_URL: appUrl } });
    } finally {
      await handle.close();
    }
  });
}
