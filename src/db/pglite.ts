import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { DatabaseHandle } from "./database.js";
import { MIGRATIONS_FOLDER } from "./migrations-folder.js";
import { restrictToOwner } from "./owner-only.js";
import { createCluster } from "./pglite-cluster.js";
import { PGLITE_TEMPLATE_FILE } from "./pglite-template.js";
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
 * PGlite keeps its shared buffers resident in its WebAssembly heap, touched in full at start (measured: the heap
 * holds ~13 MB plus the buffers). PostgreSQL's default 128 MB made the idle bot hold ~365 MB; 8 MB (1,024 pages) is
 * plenty for one connection on the bot's tables, whose files the OS caches anyway.
 * Passed on the command line, so PGlite's own postgresql.conf is left as it is.
 */
export const PGLITE_SHARED_BUFFERS = "8MB";

/** How every PGlite of the bot starts (its shared buffers: see {@link PGLITE_SHARED_BUFFERS}). */
export function pgliteOptions() {
  return { startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`] };
}

/** The V8 flag that keeps WebAssembly on its baseline compiler (Liftoff): see {@link keepWasmOnBaselineCompiler}. */
export const BASELINE_WASM_FLAG = "--liftoff-only";

/**
 * V8 compiles PGlite's 9 MB of WebAssembly with Liftoff, then recompiles hot functions with TurboFan in the
 * background: measured, that tier-up holds 45–110 MB more resident memory (code and compiler zones). Liftoff code
 * is slower on long CPU-bound queries, which a bot's few statements a minute are not (3,000 short round trips:
 * 7.5 s on Liftoff alone vs 9.4 s with tier-up, on 2 busy cores). The flag is read when a module is compiled, so
 * it is set before the first PGlite of the process (at run time: on a command line an unknown flag stops node);
 * it affects only WebAssembly code.
 */
export function keepWasmOnBaselineCompiler(): void {
  setFlagsFromString(BASELINE_WASM_FLAG);
}

/**
 * Opens (creating if needed) the embedded PostgreSQL that lives in `<dataDir>/pglite`; a new one is unpacked from
 * `template` when it suits this PGlite release, else created by initdb in a child process (pglite-cluster.ts), so
 * this process only ever opens an existing cluster and a first start peaks as low as a later one.
 */
export async function openPglite(dataDir: string, template: string = PGLITE_TEMPLATE_FILE): Promise<DatabaseHandle> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const directory = join(dataDir, "pglite");
  if (!existsSync(join(directory, "PG_VERSION"))) await createCluster(directory, template);
  keepWasmOnBaselineCompiler();
  const client = await PGlite.create(directory, pgliteOptions());
  await restrictToOwner(directory);
  return pgliteHandle(client);
}
