/**
 * The X sessions at the app's stop: with SESSION_PRESERVE_ON_SHUTDOWN a rate-limit window X reported exhausted (seen
 * only in the client's memory) is written to the account's row, so the next process waits for its reset too;
 * without it, nothing is written and the window is forgotten.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { xAccounts } from "../src/db/schema.js";
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
