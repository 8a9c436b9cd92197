import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { unpackUstar } from "./ustar.js";

/**
 * Where a pre-made, empty PGlite cluster is kept (gzipped tar, `npm run db:template`; the Docker build makes it),
 * valid from `src/` and from a compiled `dist/`. Creating a cluster runs initdb, which needs ~650–740 MB of memory;
 * this one is only unpacked (no PostgreSQL runs for it), so a first start costs what any later start costs.
 */
export const PGLITE_TEMPLATE_FILE = fileURLToPath(new URL("../../build/pglite-template.tar.gz", import.meta.url));

/** The PGlite release a template was made with, beside it: a cluster is only loaded by the release that wrote it. */
const versionFile = (template: string) => `${template}.version`;

/** The installed PGlite's release (its package.json), the template's compatibility key. */
export function pgliteRelease(): string {
  // The package exports no ./package.json: it sits one folder above the entry point (dist/index.js).
  const manifest = fileURLToPath(new URL("../package.json", import.meta.resolve("@electric-sql/pglite")));
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

/** The template's (gzipped) bytes, when one exists and this PGlite release wrote it; undefined otherwise (initdb then). */
export async function usableTemplate(template: string = PGLITE_TEMPLATE_FILE): Promise<Buffer | undefined> {
  if (!existsSync(template) || !existsSync(versionFile(template))) return undefined;
  if ((await readFile(versionFile(template), "utf8")).trim() !== pgliteRelease()) return undefined;
  return readFile(template);
}

/** Writes the template's cluster into the empty directory `target`, as PGlite's `loadDataDir` would, without PGlite. */
export function unpackTemplate(bytes: Buffer, target: string): void {
  unpackUstar(gunzipSync(bytes), target);
}

/** Makes the template: an empty cluster created in memory (initdb, here and once), dumped gzipped, written atomically. */
export async function makeTemplate(options: PGliteOptions, template: string = PGLITE_TEMPLATE_FILE): Promise<void> {
  const client = await PGlite.create(options);
  try {
    const dump = await client.dumpDataDir("gzip");
    await mkdir(dirname(template), { recursive: true });
    await writeFile(`${template}.tmp`, Buffer.from(await dump.arrayBuffer()));
    await rename(`${template}.tmp`, template);
    await writeFile(versionFile(template), `${pgliteRelease()}\n`);
  } finally {
    await client.close();
  }
}
