import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, inject } from "vitest";
import type { Database, DatabaseHandle } from "../../src/db/database.js";
import { pgliteHandle } from "../../src/db/pglite.js";
import { openPostgres } from "../../src/db/postgres.js";
import { silentLogger } from "./logger.js";

/** A database made for one test (file), and how to throw it away. */
export interface TestDatabase {
  readonly handle: DatabaseHandle;
  /** postgres:// URL of this database, when it lives on a server (for child processes). */
  readonly url: string | undefined;
  dispose(): Promise<void>;
}

/** A kind of database the DB tests run on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export interface DatabaseTarget {
  readonly name: "pglite" | "postgres";
  create(): Promise<TestDatabase>;
}

/** An in-memory PGlite cloned from the migrated template (≈0.3 s instead of a cold migrate). */
export async function createPgliteTestDatabase(): Promise<TestDatabase> {
  const template = readFileSync(inject("pgliteTemplate"));
  const client = await PGlite.create({ loadDataDir: new Blob([template]) });
  const handle = pgliteHandle(client);
  return { handle, url: undefined, dispose: () => handle.close() };
}

/** A new, migrated database on the TEST_DATABASE_URL server, dropped on dispose. */
export async function createPostgresTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `rgb_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = openPostgres(url.toString(), silentLogger());
  await handle.migrate();
  return {
    handle,
    url: url.toString(),
    async dispose() {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** The databases every DB test runs against. */
export function databaseTargets(): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [{ name: "pglite", create: createPgliteTestDatabase }];
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) targets.push({ name: "postgres", create: () => createPostgresTestDatabase(serverUrl) });
  return targets;
}

/**
 * Gives the calling `describe` its own database of `target`: made once, emptied by `clear` before each test, disposed
 * after the last. Call it before the file's own `beforeEach`, which then runs on the emptied database. Returns the
 * database's handle (read at each call: it exists from `beforeAll` on).
 */
export function useTestDatabase(target: DatabaseTarget, clear: (db: Database) => Promise<unknown>): () => Database {
  let database: TestDatabase | undefined;
  const db = () => {
    if (database === undefined) throw new Error("the test database is made in beforeAll");
    return database.handle.db;
  };
  beforeAll(async () => {
    database = await target.create();
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(async () => {
    await clear(db());
  });
  return db;
}
