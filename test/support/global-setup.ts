import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";
import { pgliteHandle } from "../../src/db/pglite.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of a dump of a freshly migrated PGlite data directory. */
    pgliteTemplate: string;
  }
}

/** Migrates one PGlite database once per run; every test database is a copy of its dump. */
export default async function setup(project: TestProject): Promise<() => void> {
  const directory = mkdtempSync(join(tmpdir(), "rgb-template-"));
  const client = await PGlite.create();
  await pgliteHandle(client).migrate();
  const dump = await client.dumpDataDir("none");
  const path = join(directory, "template.tar");
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  await client.close();
  project.provide("pgliteTemplate", path);
  return () => rmSync(directory, { recursive: true, force: true });
}
