import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openPostgres } from "../../src/db/postgres.js";
import { silentLogger } from "../../test/support/logger.js";

/** The local PostgreSQL server of the benches: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the CI server. */
export function benchServerUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

/** A migrated database made for one scenario on the bench server, and how to drop it. */
export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates and migrates `rgb_bench_<prefix>_<random>` once from the bench, so replicas started together do not race
 * each other's migrations. `drop` ends every session still on it (a replica killed or left behind).
 */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const serverUrl = benchServerUrl();
  const name = `rgb_bench_${prefix}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = openPostgres(url.toString(), silentLogger());
  try {
    await handle.migrate();
  } finally {
    await handle.close();
  }
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
