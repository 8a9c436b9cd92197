import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";

/**
 * Where a pre-made, empty PGlite cluster is kept (gzipped tar, `npm run db:template`; the Docker build makes it),
 * valid from `src/` and from a compiled `dist/`. Creating a cluster runs initdb, which needs ~820 MB of memory;
 * loading this one needs ~350 MB, so a first start fits a 512 MB machine.
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

/** The template's bytes, when one exists and this PGlite release wrote it; undefined otherwise (initdb then). */
export async function usableTemplate(template: string = PGLITE_TEMPLATE_FILE): Promise<Blob | undefined> {
  if (!existsSync(template) || !existsSync(versionFile(template))) return undefined;
  if ((await readFile(versionFile(template), "utf8")).trim() !== pgliteRelease()) return undefined;
  return new Blob([await readFile(template)]);
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
