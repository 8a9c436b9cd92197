import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { databaseProbe } from "../../src/doctor/database-access.js";
import { databaseCheck } from "../../src/doctor/database-check.js";
import { migratedDataDir } from "../support/data-dir.js";
import { createPostgresTestDatabase } from "../support/database.js";
import { DOCTOR_TEST_TIMEOUT_MS, doctorConfig, printedLine } from "../support/doctor.js";
import { silentLogger } from "../support/logger.js";
import { MIGRATIONS_FOLDER } from "../../src/db/migrations-folder.js";

/** How many migrations the code carries (drizzle's journal): the doctor counts them. */
const MIGRATIONS = (JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: unknown[] }).entries.length;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function databaseLine(env: Record<string, string>): Promise<string> {
  const config = doctorConfig({ TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242", ...env });
  const probe = databaseProbe(config, silentLogger(), DOCTOR_TEST_TIMEOUT_MS);
  try {
    return await printedLine(databaseCheck(probe, config.database.url !== undefined, DOCTOR_TEST_TIMEOUT_MS));
  } finally {
    await probe.close();
  }
}

describe("doctor: the database", () => {
  const dirs: string[] = [];
  const track = (dir: string) => (dirs.push(dir), dir);
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("opens the embedded database under the data-dir lock and counts its migrations", async () => {
    const dataDir = track(migratedDataDir("rgb-doctor-db-"));
    const line = await databaseLine({ DATA_DIR: dataDir });
    expect(line).toMatch(new RegExp(`^✓ Database: PGlite in ${join(dataDir, "pglite")} \\(PostgreSQL [\\d.]+\\), ${MIGRATIONS} migrations applied, none pending$`));
    // The lock was the doctor's for its few seconds, and is gone again.
    expect(existsSync(join(dataDir, "bot.lock"))).toBe(false);
  });

  it("warns, without opening it, when a running bot holds DATA_DIR", async () => {
    const dataDir = track(migratedDataDir("rgb-doctor-db-"));
    writeFileSync(join(dataDir, "bot.lock"), String(process.ppid));
    expect(await databaseLine({ DATA_DIR: dataDir })).toBe(
      `! Database: PGlite in ${join(dataDir, "pglite")} is in use by a running bot (pid ${process.ppid}); not opened — stop the bot to check it, or read /health`,
    );
  });

  it("does not create a database the bot has not created yet", async () => {
    const dataDir = track(mkdtempSync(join(tmpdir(), "rgb-doctor-db-")));
    expect(await databaseLine({ DATA_DIR: dataDir })).toBe(
      `✓ Database: PGlite in ${join(dataDir, "pglite")} not created yet; the first start creates it and applies ${MIGRATIONS} migrations`,
    );
    expect(existsSync(join(dataDir, "pglite"))).toBe(false);
  });

  it("says an unreachable PostgreSQL cannot be opened and to check DATABASE_URL, without its password", async () => {
    const port = await closedPort();
    const line = await databaseLine({ DATABASE_URL: `postgres://bot:hunter2-secret@127.0.0.1:${port}/replies` });
    expect(line).toMatch(
      new RegExp(`^✗ Database: cannot open PostgreSQL at 127\\.0\\.0\\.1:${port}/replies \\(.*ECONNREFUSED.*\\) — check DATABASE_URL and that PostgreSQL is running and reachable from here$`),
    );
    expect(line).not.toContain("hunter2");
  });

  it.runIf(process.env.TEST_DATABASE_URL)("reads a migrated PostgreSQL database", async () => {
    const database = await createPostgresTestDatabase(process.env.TEST_DATABASE_URL!);
    try {
      expect(await databaseLine({ DATABASE_URL: database.url! })).toMatch(new RegExp(`^✓ Database: PostgreSQL at .* \\(PostgreSQL [\\d.]+\\), ${MIGRATIONS} migrations applied, none pending$`));
    } finally {
      await database.dispose();
    }
  });
});
