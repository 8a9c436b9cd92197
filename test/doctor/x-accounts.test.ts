import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readOrCreateKeyFile } from "../../src/db/key-file.js";
import { openPglite } from "../../src/db/pglite.js";
import { xAccounts } from "../../src/db/schema.js";
import { databaseProbe } from "../../src/doctor/database-access.js";
import { xAccountsCheck } from "../../src/doctor/x-accounts.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import { migratedDataDir } from "../support/data-dir.js";
import { DOCTOR_TEST_TIMEOUT_MS, doctorConfig, printedLines } from "../support/doctor.js";
import { startFakeX, type FakeX } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";

const MAIN_TOKEN = "main-access-token-4711";
const STORED_TOKEN = "stored-access-token-0815";

describe("doctor: X accounts (env and stored)", () => {
  let x: FakeX;
  let dataDir: string;

  const check = (extra: Record<string, string> = {}) => {
    const config = doctorConfig({
      TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi",
      ADMIN_CHAT_ID: "4242",
      X_API_ROOT: x.baseUrl,
      DATA_DIR: dataDir,
      X_APP_KEY: "app-key-1234",
      X_APP_SECRET: "app-secret-1234",
      X_ACCESS_TOKEN: MAIN_TOKEN,
      X_ACCESS_SECRET: "main-access-secret-1234",
      ...extra,
    });
    const database = databaseProbe(config, silentLogger(), DOCTOR_TEST_TIMEOUT_MS);
    return { check: xAccountsCheck(config, database, DOCTOR_TEST_TIMEOUT_MS, []), database };
  };
  const storedCredentials = async () => {
    const reading = await openPglite(dataDir);
    try {
      const [row] = await reading.db.select({ credentials: xAccounts.credentials }).from(xAccounts).where(eq(xAccounts.label, "second"));
      return row?.credentials;
    } finally {
      await reading.close();
    }
  };
  const linesOf = async (extra: Record<string, string> = {}) => {
    const { check: xCheck, database } = check(extra);
    try {
      return await printedLines(xCheck);
    } finally {
      await database.close();
    }
  };

  beforeAll(async () => {
    x = await startFakeX();
    // The account stored as /accounts add does: sealed with the key generated into DATA_DIR.
    dataDir = migratedDataDir("rgb-doctor-x-");
    const key = readOrCreateKeyFile(dataDir).key;
    const seeding = await openPglite(dataDir);
    const credentials = { appKey: "app-key-1234", appSecret: "app-secret-1234", accessToken: STORED_TOKEN, accessSecret: "stored-secret-1234" };
    await seeding.db.insert(xAccounts).values({
      label: "second",
      origin: "stored",
      authKind: "oauth1",
      credentials: new SecretBox(Buffer.from(key, "base64")).seal(JSON.stringify(credentials)),
    });
    await seeding.close();
  });
  afterEach(() => {
    x.reset();
    rmSync(join(dataDir, "bot.lock"), { force: true });
  });
  afterAll(async () => {
    await x.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const addUsers = () => {
    x.addUser({ username: "replyguy", accessToken: MAIN_TOKEN });
    x.addUser({ username: "second_user", accessToken: STORED_TOKEN });
  };

  it("shows the handle of the env account and of the stored one (opened with the key in DATA_DIR)", async () => {
    addUsers();
    expect(await linesOf()).toEqual(["✓ X account main: @replyguy (env, OAuth 1.0a)", "✓ X account second: @second_user (stored, OAuth 1.0a)"]);
  });

  it("says a revoked env account is rejected (401) and which variables to check", async () => {
    addUsers();
    x.setUserAccess("replyguy", "revoked");
    expect(await linesOf()).toEqual([
      "✗ X account main: rejected (401) — check X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET",
      "✓ X account second: @second_user (stored, OAuth 1.0a)",
    ]);
  });

  it("says a revoked stored account must be connected again with /accounts", async () => {
    addUsers();
    x.setUserAccess("second_user", "revoked");
    expect((await linesOf())[1]).toBe("✗ X account second: rejected (401) — connect it again with /accounts (the stored tokens were revoked or expired)");
  });

  it("fails the stored accounts when ENCRYPTION_KEY is not the key they were sealed with", async () => {
    addUsers();
    const [, stored] = await linesOf({ ENCRYPTION_KEY: randomBytes(32).toString("base64") });
    expect(stored).toMatch(/^✗ X stored accounts: the credentials of X account second cannot be opened .* — set ENCRYPTION_KEY/);
  });

  it("opens accounts sealed with ENCRYPTION_KEY_PREVIOUS without sealing them again (the doctor writes nothing)", async () => {
    addUsers();
    const sealedBefore = await storedCredentials();
    const key = readOrCreateKeyFile(dataDir).key;
    const lines = await linesOf({ ENCRYPTION_KEY: randomBytes(32).toString("base64"), ENCRYPTION_KEY_PREVIOUS: key });
    expect(lines[1]).toBe("✓ X account second: @second_user (stored, OAuth 1.0a)");
    expect(await storedCredentials()).toBe(sealedBefore);
  });

  it("fails an OAuth 2.0 account whose access token expired when the bot cannot renew it (no X_CLIENT_ID)", async () => {
    addUsers();
    const seeding = await openPglite(dataDir);
    const key = readOrCreateKeyFile(dataDir).key;
    const session = { accessToken: "oauth2-access-1234", refreshToken: "oauth2-refresh-1234", expiresAt: "2026-01-01T00:00:00.000Z" };
    const sealed = new SecretBox(Buffer.from(key, "base64")).seal(JSON.stringify(session));
    await seeding.db.insert(xAccounts).values({ label: "third", origin: "stored", authKind: "oauth2", credentials: sealed });
    await seeding.close();
    try {
      expect((await linesOf())[2]).toBe(
        "✗ X account third: OAuth 2.0 access token expired at 2026-01-01T00:00:00.000Z and cannot be renewed — set X_CLIENT_ID and PUBLIC_URL, or connect the account again with /accounts",
      );
    } finally {
      const cleaning = await openPglite(dataDir);
      await cleaning.db.delete(xAccounts).where(eq(xAccounts.label, "third"));
      await cleaning.close();
    }
  });

  it("checks the env accounts but not the stored ones while a running bot holds DATA_DIR", async () => {
    addUsers();
    writeFileSync(join(dataDir, "bot.lock"), String(process.ppid));
    expect(await linesOf()).toEqual([
      "✓ X account main: @replyguy (env, OAuth 1.0a)",
      "- X stored accounts: not read: the database is in use by a running bot",
    ]);
  });

  it("says when no X account is configured at all", async () => {
    const emptyDir = join(dataDir, "nothing-here");
    const config = doctorConfig({ TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242", X_API_ROOT: x.baseUrl, DATA_DIR: emptyDir });
    const database = databaseProbe(config, silentLogger(), DOCTOR_TEST_TIMEOUT_MS);
    expect(await printedLines(xAccountsCheck(config, database, DOCTOR_TEST_TIMEOUT_MS, []))).toEqual([
      "- X accounts: none configured (X_APP_KEY … X_ACCESS_SECRET, or /accounts add): discovery and publishing are idle",
    ]);
  });
});
