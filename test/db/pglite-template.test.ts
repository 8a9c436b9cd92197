/**
 * A first start loads a pre-made cluster instead of running initdb (the memory peak of a first start), but only
 * one written by this PGlite release; without one it creates the cluster as before.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { openPglite, pgliteOptions } from "../../src/db/pglite.js";
import { preparedRows } from "../../src/db/raw-rows.js";
import { makeTemplate, pgliteRelease, usableTemplate } from "../../src/db/pglite-template.js";

describe("PGlite template for a first start", () => {
  const root = mkdtempSync(join(tmpdir(), "rgb-template-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A template whose cluster holds a marker table, so a test can tell it was loaded. */
  async function markedTemplate(name: string, release = pgliteRelease()): Promise<string> {
    const client = await PGlite.create(pgliteOptions());
    await client.exec("create table template_marker (id int)");
    const file = join(root, `${name}.tar.gz`);
    writeFileSync(file, Buffer.from(await (await client.dumpDataDir("gzip")).arrayBuffer()));
    writeFileSync(`${file}.version`, `${release}\n`);
    await client.close();
    return file;
  }

  const hasMarker = async (dataDir: string, template: string) => {
    const handle = await openPglite(dataDir, template);
    try {
      const [row] = await preparedRows(handle.db, "template_marker", sql`select to_regclass('template_marker')::text as marker`);
      return row?.marker === "template_marker";
    } finally {
      await handle.close();
    }
  };

  it("makeTemplate writes the gzipped cluster and this release's version beside it; usableTemplate reads it back", async () => {
    const file = join(root, "made", "pglite-template.tar.gz");
    await makeTemplate(pgliteOptions(), file);
    const blob = await usableTemplate(file);
    expect(blob?.length).toBeGreaterThan(1_000_000);
  }, 60_000);

  it("a new data dir is loaded from a template of this release, and keeps its data on the next start", async () => {
    const template = await markedTemplate("current");
    const dataDir = join(root, "from-template");
    expect(await hasMarker(dataDir, template)).toBe(true);
    expect(await hasMarker(dataDir, join(root, "absent.tar.gz"))).toBe(true);
  }, 60_000);

  it("a template of another release, or none at all, is not used: the cluster is created", async () => {
    const stale = await markedTemplate("stale", "0.0.1");
    expect(await usableTemplate(stale)).toBeUndefined();
    expect(await hasMarker(join(root, "from-stale"), stale)).toBe(false);
    expect(await hasMarker(join(root, "from-none"), join(root, "absent.tar.gz"))).toBe(false);
  }, 120_000);
});
