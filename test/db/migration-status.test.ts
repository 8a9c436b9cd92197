import { sql } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { PGlite } from "@electric-sql/pglite";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../../src/db/migrations-folder.js";
import { readMigrationStatus, serverVersion } from "../../src/db/migration-status.js";
import { pgliteHandle } from "../../src/db/pglite.js";
import { databaseTargets, type TestDatabase } from "../support/database.js";

const SHIPPED = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });

describe.each(databaseTargets())("migration status on $name", (target) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
  });

  it("counts every shipped migration applied on a migrated database", async () => {
    database = await target.create();
    expect(await readMigrationStatus(database.handle.db)).toEqual({ applied: SHIPPED.length, pending: 0, unknown: 0 });
    expect(await serverVersion(database.handle.db)).toMatch(/^\d+(\.\d+)?$/);
  });

  it("counts the migrations newer than the newest recorded one as pending, and recorded ones this code lacks as unknown", async () => {
    database = await target.create();
    const { db } = database.handle;
    await db.execute(sql`delete from drizzle.__drizzle_migrations where created_at = ${SHIPPED.at(-1)!.folderMillis}`);
    expect(await readMigrationStatus(db)).toEqual({ applied: SHIPPED.length - 1, pending: 1, unknown: 0 });
    await db.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('future', ${SHIPPED.at(-1)!.folderMillis + 1000})`);
    expect(await readMigrationStatus(db)).toEqual({ applied: SHIPPED.length, pending: 0, unknown: 1 });
  });
});

it("reads an empty database as every migration pending, without creating the journal", async () => {
  const handle = pgliteHandle(await PGlite.create());
  try {
    expect(await readMigrationStatus(handle.db)).toEqual({ applied: 0, pending: SHIPPED.length, unknown: 0 });
    expect(await readMigrationStatus(handle.db)).toEqual({ applied: 0, pending: SHIPPED.length, unknown: 0 });
  } finally {
    await handle.close();
  }
});
