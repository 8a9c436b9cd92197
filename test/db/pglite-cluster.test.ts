/**
 * A first start creates the embedded cluster outside the bot's own PostgreSQL: unpacked from the template with
 * Node, or made by initdb in a child process, built beside DATA_DIR/pglite and renamed into place.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { ClusterCreationError, createCluster, initdbInChild } from "../../src/db/pglite-cluster.js";
import { makeTemplate } from "../../src/db/pglite-template.js";
import { openPglite, pgliteOptions } from "../../src/db/pglite.js";

describe("creating the PGlite cluster of a first start", () => {
  const root = mkdtempSync(join(tmpdir(), "rgb-cluster-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const answers = async (directory: string) => {
    const client = await PGlite.create(directory, pgliteOptions());
    try {
      return (await client.query<{ one: number }>("select 1 as one")).rows[0]?.one;
    } finally {
      await client.close();
    }
  };
  const notCalled = () => Promise.reject(new Error("initdb must not run when the template suits"));

  it("initdb in a child process leaves a usable cluster in the directory", async () => {
    const target = join(root, "child");
    mkdirSync(target);
    await initdbInChild(target);
    expect(existsSync(join(target, "PG_VERSION"))).toBe(true);
    expect(await answers(target)).toBe(1);
  }, 120_000);

  it("a failing child gives an error naming the directory and quoting the child's stderr", async () => {
    const blocker = join(root, "a-file");
    writeFileSync(blocker, "");
    const target = join(blocker, "pglite");
    const failure = initdbInChild(target);
    await expect(failure).rejects.toBeInstanceOf(ClusterCreationError);
    await expect(failure).rejects.toThrow(new RegExp(`${target}: initdb exited with 1: .*ENOTDIR`, "s"));
  }, 60_000);

  it("a suitable template is unpacked without running initdb, into place, with nothing left beside it", async () => {
    const template = join(root, "template.tar.gz");
    await makeTemplate(pgliteOptions(), template);
    const dataDir = join(root, "from-template");
    mkdirSync(dataDir);
    await createCluster(join(dataDir, "pglite"), template, notCalled);
    expect(readdirSync(dataDir)).toEqual(["pglite"]);
    expect(await answers(join(dataDir, "pglite"))).toBe(1);
  }, 120_000);

  it("when the cluster cannot be made, the error names the directory and no half-made cluster is left", async () => {
    const dataDir = join(root, "failing");
    mkdirSync(dataDir);
    const broken = () => Promise.reject(new Error("initdb broke"));
    await expect(createCluster(join(dataDir, "pglite"), join(root, "absent.tar.gz"), broken)).rejects.toThrow(
      `could not create the embedded database in ${join(dataDir, "pglite")}: Error: initdb broke`,
    );
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("a pglite directory with files but no cluster is refused with its name, not overwritten", async () => {
    const dataDir = join(root, "occupied");
    mkdirSync(join(dataDir, "pglite"), { recursive: true });
    writeFileSync(join(dataDir, "pglite", "notes.txt"), "mine");
    await expect(openPglite(dataDir, join(root, "template.tar.gz"))).rejects.toThrow(
      new RegExp(`could not create the embedded database in ${join(dataDir, "pglite")}: .*ENOTEMPTY`),
    );
    expect(readdirSync(join(dataDir, "pglite"))).toEqual(["notes.txt"]);
  }, 60_000);
});
