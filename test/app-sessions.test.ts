/**
 * The X sessions in the app: stored accounts are opened at boot (and sealed again after a key rotation) and join
 * the pool beside the env ones. At stop, with SESSION_PRESERVE_ON_SHUTDOWN, a rate-limit window X reported exhausted
 * (seen only in the client's memory) is written to the account's row, so the next process waits for its reset too;
 * without it, nothing is written and the window is forgotten.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { xAccounts } from "../src/db/schema.js";
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
});
