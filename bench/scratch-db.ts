import { randomBytes } from "node:crypto";
import postgres from "postgres";

/** The local PostgreSQL server the benches use: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the CI server. */
export function benchServerUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

/**
 * Runs `use` with the URL of a new, empty database on the bench server (named `rgb_bench_<label>_<random>`), and
 * drops it afterwards (with force: a pool `use` forgot to close does not keep it alive).
 */
export async function withScratchDatabase<T>(label: string, use: (url: string) => Promise<T>): Promise<T> {
  const serverUrl = benchServerUrl();
  const name = `rgb_bench_${label}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await use(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  }
}
