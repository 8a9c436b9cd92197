import { randomBytes } from "node:crypto";
import postgres from "postgres";

/** The local PostgreSQL server the benches use: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the CI server. */
export function benchServerUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

/** A new, empty database on the bench server, and how to drop it. */
export interface ScratchDatabase {
  readonly url: string;
  /** Drops it with force: a pool left open (or a replica killed or left behind) does not keep it alive. */
  drop(): Promise<void>;
}

/** Creates `rgb_bench_<label>_<random>` on the bench server. */
export async function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  const serverUrl = benchServerUrl();
  const name = `rgb_bench_${label}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  const drop = async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  };
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await drop();
    throw error;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop };
}

/** Runs `use` with the URL of a new, empty database on the bench server (see {@link createScratchDatabase}), dropped afterwards. */
export async function withScratchDatabase<T>(label: string, use: (url: string) => Promise<T>): Promise<T> {
  const scratch = await createScratchDatabase(label);
  try {
    return await use(scratch.url);
  } finally {
    await scratch.drop();
  }
}
