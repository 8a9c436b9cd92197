import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { acquireDataDirLock, DataDirLockedError } from "../../src/db/data-dir-lock.js";
import { openPglite, PGLITE_SHARED_BUFFERS } from "../../src/db/pglite.js";
import { openPostgres } from "../../src/db/postgres.js";
import { appState } from "../../src/db/schema.js";
import { databaseTargets, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";

describe.each(databaseTargets())("database on $name", (target) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
  });

  it("is migrated, and migrating again changes nothing", async () => {
    database = await target.create();
    const { db } = database.handle;
    await db.insert(appState).values({ key: "paused", value: true });
    await database.handle.migrate();
    const rows = await db.select().from(appState);
    expect(rows).toEqual([{ key: "paused", value: true, updatedAt: expect.any(Date) }]);
    expect(await database.handle.ping()).toBeGreaterThanOrEqual(0);
  });

  // PGlite has one connection per process: replicas only exist on a server.
  it.runIf(target.name === "postgres")("lets several replicas migrate at once (advisory lock)", async () => {
    database = await target.create();
    const url = database.url!;
    const replicas = [0, 1, 2].map(() => openPostgres(url, silentLogger()));
    await Promise.all(replicas.map((replica) => replica.migrate()));
    const count = await replicas[0]!.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect(count).toEqual(expect.arrayContaining([{ n: expect.any(Number) }]));
    await Promise.all(replicas.map((replica) => replica.close()));
  });
});

describe("embedded database in DATA_DIR", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps its data across a reopen", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "rgb-data-"));
    dirs.push(dataDir);
    const first = await openPglite(dataDir);
    await first.migrate();
    await first.db.insert(appState).values({ key: "k", value: { n: 1 } });
    await first.close();
    const second = await openPglite(dataDir);
    await second.migrate();
    expect(await second.db.select({ value: appState.value }).from(appState)).toEqual([{ value: { n: 1 } }]);
    // Small shared buffers (PGlite holds them resident), set on every open, not only when the database was created.
    const shown: unknown = await second.db.execute(sql`show shared_buffers`);
    expect(shown).toMatchObject({ rows: [{ shared_buffers: PGLITE_SHARED_BUFFERS }] });
    await second.close();
  });

  it("refuses a second live owner of the directory and takes over a dead one's lock", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "rgb-lock-"));
    dirs.push(dataDir);
    const release = acquireDataDirLock(dataDir);
    // The parent process is alive and is not us: the directory counts as taken.
    const otherOwner = process.ppid;
    release();
    writeFileSync(join(dataDir, "bot.lock"), String(otherOwner));
    expect(() => acquireDataDirLock(dataDir)).toThrow(DataDirLockedError);
    writeFileSync(join(dataDir, "bot.lock"), "999999999");
    const releaseAgain = acquireDataDirLock(dataDir);
    releaseAgain();
  });
});
