import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { DatabaseHandle } from "./database.js";
import { MIGRATIONS_FOLDER } from "./migrations-folder.js";
import { restrictToOwner } from "./owner-only.js";
import * as schema from "./schema.js";

/** Wraps an already open PGlite instance (file-backed or in memory) as a {@link DatabaseHandle}. */
export function pgliteHandle(client: PGlite): DatabaseHandle {
  const db = drizzle({ client, schema });
  return {
    db,
    kind: "pglite",
    migrate: () => migrate(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    async ping() {
      const started = performance.now();
      await db.execute(sql`select 1`);
      return performance.now() - started;
    },
    close: () => client.close(),
  };
}

/**
 * PGlite keeps its shared buffers resident in its WebAssembly heap: PostgreSQL's default 128 MB made the idle bot
 * hold ~365 MB; 16 MB is plenty for the bot's tables (measured: a reopened, migrated database idles at 262 MB).
 * Passed on the command line, so PGlite's own postgresql.conf is left as it is.
 */
export const PGLITE_SHARED_BUFFERS = "16MB";

/** Opens (creating if needed) the embedded PostgreSQL that lives in `<dataDir>/pglite`. */
export async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const directory = join(dataDir, "pglite");
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const options = { startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`] };
  if (!existsSync(join(directory, "PG_VERSION"))) {
    // Creating the database runs initdb inside this instance, whose heap then stays as large as initdb needed
    // (~830 MB): create, close, and open afresh so the process idles as on any later start.
    await (await PGlite.create(directory, options)).close();
  }
  const client = await PGlite.create(directory, options);
  await restrictToOwner(directory);
  return pgliteHandle(client);
}
