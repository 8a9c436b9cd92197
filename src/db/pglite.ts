import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { DatabaseHandle } from "./database.js";
import { MIGRATIONS_FOLDER } from "./migrations-folder.js";
import { restrictToOwner } from "./owner-only.js";
import { PGLITE_TEMPLATE_FILE, usableTemplate } from "./pglite-template.js";
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

/** How every PGlite of the bot starts (its shared buffers: see {@link PGLITE_SHARED_BUFFERS}). */
export function pgliteOptions() {
  return { startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`] };
}

/**
 * Opens (creating if needed) the embedded PostgreSQL that lives in `<dataDir>/pglite`; a new one is loaded from
 * `template` when it suits this PGlite release (see pglite-template.ts).
 */
export async function openPglite(dataDir: string, template: string = PGLITE_TEMPLATE_FILE): Promise<DatabaseHandle> {
  const directory = join(dataDir, "pglite");
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const options = pgliteOptions();
  if (!existsSync(join(directory, "PG_VERSION"))) {
    // A first start: the pre-made cluster is loaded if there is one for this release (~350 MB at the peak);
    // else initdb runs in this instance (~820 MB), whose heap then stays that large: either way the instance is
    // closed and the database opened afresh, so the process idles as on any later start.
    const cluster = await usableTemplate(template);
    await (await PGlite.create(directory, { ...options, ...(cluster ? { loadDataDir: cluster } : {}) })).close();
  }
  const client = await PGlite.create(directory, options);
  await restrictToOwner(directory);
  return pgliteHandle(client);
}
