/**
 * The per-account series of /metrics, read from the database at scrape time: what each account put on X,
 * the attempts that did not get a reply out, and its load as least_loaded counts it (the last hour).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishAttempts } from "../../src/db/schema.js";
import { createMetrics } from "../../src/http/metrics.js";
import type { PolicySettings } from "../../src/resilience/policy.js";
import { ResilienceRegistry } from "../../src/resilience/registry.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startFakeX, type FakeX } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import { createPublishFixture } from "../support/publish-fixture.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const SETTINGS: PolicySettings = { timeoutMs: 1_000, retries: 0, baseDelayMs: 1, maxDelayMs: 1, breakerThreshold: 3, halfOpenAfterMs: 1_000 };
const HOUR = 3_600_000;

describe.each(databaseTargets())("per-account metrics on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let x: FakeX;

  beforeAll(async () => {
    x = await startFakeX();
  });
  afterAll(async () => {
    await x.close();
  });

  it("posts, failures and load per account", async () => {
    x.addUser({ id: "850001", username: "replyguy", accessToken: "metrics-a" });
    x.addUser({ id: "850002", username: "replygal", accessToken: "metrics-b" });
    const alice = x.addUser({ id: "850009", username: "alice" });
    const fixture = createPublishFixture({ db, x: () => x, now: () => new Date(), token: "metrics-a", label: "a" });
    const rig = await fixture.build({ pool: [{ label: "b", token: "metrics-b" }] });
    const [a, b] = rig.accounts.all().map((account) => account.id) as [number, number];
    const { reply } = await fixture.seedReply(a, alice);
    const longAgo = new Date(Date.now() - 2 * HOUR);
    const attempts: [number, string | null, Date][] = [
      [a, "posted", new Date()],
      [a, "reconciled", longAgo],
      [a, "retry", new Date()],
      [b, "failed", new Date()],
      [b, "ambiguous", new Date()],
      [b, null, new Date()],
    ];
    for (const [i, [accountId, outcome, startedAt]] of attempts.entries()) {
      await db().insert(publishAttempts).values({ id: `00000000-0000-4000-8000-00000000020${i}`, replyId: reply.id, accountId, outcome, startedAt });
    }
    const registry = new ResilienceRegistry({ x: SETTINGS, ai: SETTINGS, db: SETTINGS }, { loadAll: () => Promise.resolve(new Map()), save: () => Promise.resolve() }, silentLogger());
    const { body } = await createMetrics({ db: db(), registry }).render();
    const lines = body.split("\n").filter((line) => line.startsWith("rgb_x_account_") && !line.startsWith("rgb_x_account_status"));
    expect(lines.sort()).toEqual(
      [
        'rgb_x_account_posts{account="a"} 2',
        'rgb_x_account_posts{account="b"} 0',
        'rgb_x_account_failures{account="a"} 1',
        'rgb_x_account_failures{account="b"} 2',
        // In the last hour, attempts that may have posted: a's post; b's ambiguous one and its claim in flight.
        'rgb_x_account_load{account="a"} 1',
        'rgb_x_account_load{account="b"} 2',
      ].sort(),
    );
  });
});
