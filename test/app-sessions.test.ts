/**
 * The X sessions in the app: stored accounts are opened at boot (and sealed again after a key rotation) and join
 * the pool beside the env ones. At stop, with SESSION_PRESERVE_ON_SHUTDOWN, a rate-limit window X reported exhausted
 * (seen only in the client's memory) is written to the account's row, so the next process waits for its reset too;
 * without it, nothing is written and the window is forgotten. A breaker open since before a restart keeps its
 * opening time, so the health monitor of the next app fails the account on time.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { breakerStates, xAccounts } from "../src/db/schema.js";
import { keyId, SecretBox } from "../src/kit/secret-box.js";
import { startTestApp } from "./support/app-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "./support/database.js";
import { startWorkflowRig, type WorkflowRig } from "./support/workflow-rig.js";

describe("X sessions at shutdown", () => {
  let rig: WorkflowRig;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  /** Starts the app, spends the account's users/me window at X, stops the app; returns the account's row after. */
  async function exhaustThenStop(preserve: string) {
    database = await createPgliteTestDatabase();
    const app = await startTestApp(rig.tg, { env: rig.env({ SESSION_PRESERVE_ON_SHUTDOWN: preserve }), database });
    rig.x.setRateLimit("GET /2/users/me", 1, 900);
    const account = app.app.workflow.accounts.all()[0]!;
    await account.client.me();
    const window = account.client.rateLimits().get("GET /2/users/me");
    expect(window?.remaining).toBe(0);
    await app.stop();
    const [row] = await database.handle.db.select().from(xAccounts).where(eq(xAccounts.id, account.id));
    return { row: row!, resetAt: window!.resetAt };
  }

  it("a stored account joins the pool at boot (alone: X counts as configured); a rotated key seals it again", async () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    rig.x.addUser({ id: "900201", username: "stored_one", accessToken: "stored-token-1" });
    database = await createPgliteTestDatabase();
    const credentials = { appKey: "k-1", appSecret: "s-1", accessToken: "stored-token-1", accessSecret: "a-1" };
    await database.handle.db
      .insert(xAccounts)
      .values({ label: "stored", origin: "stored", authKind: "oauth1", credentials: new SecretBox(oldKey).seal(JSON.stringify(credentials)) });
    const app = await startTestApp(rig.tg, {
      env: { X_API_ROOT: rig.x.baseUrl, ENCRYPTION_KEY: newKey.toString("base64"), ENCRYPTION_KEY_PREVIOUS: oldKey.toString("base64") },
      database,
    });
    try {
      expect(app.app.workflow.accounts.all().map((account) => account.label)).toEqual(["stored"]);
      expect(await app.app.workflow.accounts.all()[0]!.client.me()).toMatchObject({ username: "stored_one" });
      const components = (await app.app.health.report()).components;
      expect(Object.keys(components)).toContain("x:stored");
      expect(Object.keys(components)).not.toContain("x");
      const [row] = await database.handle.db.select().from(xAccounts).where(eq(xAccounts.label, "stored"));
      expect(row!.credentials!.startsWith(`v1:${keyId(newKey)}:`)).toBe(true);

      // Stored while running: in the pool and on /health at once; removed: gone from both.
      rig.x.addUser({ id: "900202", username: "added_later", accessToken: "added-token-2" });
      await app.app.accountStore.store("later", { authKind: "oauth2", credentials: { accessToken: "added-token-2" } });
      expect(app.app.workflow.accounts.all().map((account) => account.label)).toEqual(["stored", "later"]);
      expect((await app.app.health.report()).components["x:later"]).toMatchObject({ state: "ok", detail: expect.stringContaining("@added_later") });
      await app.app.accountStore.remove("later");
      expect(Object.keys((await app.app.health.report()).components)).not.toContain("x:later");
    } finally {
      await app.stop();
    }
  });

  it("preserved: an exhausted window becomes rate_limited_until, which pacing and the next process honour", async () => {
    const { row, resetAt } = await exhaustThenStop("true");
    expect(row.rateLimitedUntil?.getTime()).toBe(resetAt.getTime());
    expect(row.status).toBe("active");
  });

  it("not preserved (SESSION_PRESERVE_ON_SHUTDOWN=false): nothing is written at stop", async () => {
    const { row } = await exhaustThenStop("false");
    expect(row.rateLimitedUntil).toBeNull();
  });

  it("a breaker open since before a restart keeps its opening time: the next app's monitor fails the account past ACCOUNT_FAIL_AFTER_SECONDS", async () => {
    database = await createPgliteTestDatabase();
    const env = rig.env({ X_BREAKER_THRESHOLD: "1", X_BREAKER_HALF_OPEN_SECONDS: "3600", RETRY_BASE_DELAY_MS: "1", RETRY_MAX_DELAY_MS: "2" });
    const breakerRow = () => database!.handle.db.select().from(breakerStates).where(eq(breakerStates.name, "x:main"));
    // The breaker opened 11 minutes ago (ACCOUNT_FAIL_AFTER_SECONDS is 600), in a process that has since stopped.
    const openedAt = Date.now() - 11 * 60_000;
    vi.useFakeTimers({ toFake: ["Date"], now: openedAt });
    const first = await startTestApp(rig.tg, { env, database });
    rig.x.setDown(503);
    await first.app.workflow.accounts.all()[0]!.client.me().catch(() => undefined);
    const downSince = first.app.registry.policy("x:main", "x").downSince;
    expect(downSince?.getTime()).toBe(openedAt);
    await vi.waitFor(async () => expect((await breakerRow())[0]?.state).toMatchObject({ downSince: openedAt }));
    await first.stop();
    vi.useRealTimers();

    const second = await startTestApp(rig.tg, { env, database });
    try {
      expect(second.app.registry.policy("x:main", "x").downSince).toEqual(downSince);
      const main = second.app.workflow.accounts.all()[0]!;
      // The monitor looks at an active account once per interval, the first time without acting.
      await second.app.workflow.monitor.runOnce();
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 });
      expect((await second.app.workflow.monitor.runOnce()).failed).toEqual(["main"]);
      const [row] = await database.handle.db.select().from(xAccounts).where(eq(xAccounts.id, main.id));
      expect(row).toMatchObject({ status: "failed", failureReason: expect.stringContaining(`stayed open since ${downSince!.toISOString()}`) });
    } finally {
      vi.useRealTimers();
      await second.stop();
    }
  });
});
