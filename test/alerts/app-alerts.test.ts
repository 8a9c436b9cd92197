import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ALERTS_JOB } from "../../src/app.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("alerts raised by the running bot", () => {
  let rig: WorkflowRig;
  let app: TestApp | undefined;

  const alertsOfType = (type: string) =>
    rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes(`<code>${type}</code>`));
  const deliver = () => app!.app.scheduler.runNow(ALERTS_JOB);

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  it("a 503 storm on X gives exactly one breaker-open and one breaker-closed alert", { timeout: 30_000 }, async () => {
    app = await startTestApp(rig.tg, {
      env: rig.env({
        X_BREAKER_THRESHOLD: "3",
        X_BREAKER_HALF_OPEN_SECONDS: "1",
        RETRY_BASE_DELAY_MS: "5",
        RETRY_MAX_DELAY_MS: "10",
      }),
    });
    rig.x.setDown(503);
    for (let i = 0; i < 6; i++) await app.app.scheduler.runNow(JOBS.discovery);
    expect(app.app.registry.policy("x:main", "x").state).toBe("open");
    rig.x.setDown(null);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await app.app.scheduler.runNow(JOBS.discovery);
    expect(app.app.registry.policy("x:main", "x").state).toBe("closed");
    await deliver();
    const open = alertsOfType("circuit_breaker_open");
    const closed = alertsOfType("circuit_breaker_closed");
    expect(open).toHaveLength(1);
    expect(closed).toHaveLength(1);
    expect(open[0]!.text).toContain("x:main");
    expect(open[0]!.text).not.toContain("CRITICAL");
  });

  it("a 429 on the POST raises rate_limit_exceeded once and a 401 raises session_failed", async () => {
    app = await startTestApp(rig.tg, { env: rig.env() });
    const mentions = [0, 1].map((i) => rig.x.addTweet({ authorId: rig.alice.id, text: `@replyguy alert case ${i}?` }));
    await app.app.scheduler.runNow(JOBS.discovery);
    rig.x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "rateLimited", resetInSeconds: 600 });
    for (const mention of mentions) {
      const [reply] = (await app.database.handle.db.query.replies.findMany()).filter((r) => r.postTweetId === mention.id);
      await app.app.workflow.review.approve(reply!.id, reply!.version, 1001);
    }
    await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
    await deliver();
    const rateLimited = alertsOfType("rate_limit_exceeded");
    expect(rateLimited).toHaveLength(1);
    expect(rateLimited[0]!.text).toContain("main");
    expect(rig.posts()).toHaveLength(1);

    await app.app.workflow.accounts.setStatus(app.app.workflow.accounts.all()[0]!.id, "failed", "X rejected the credentials (401)");
    await deliver();
    expect(alertsOfType("session_failed")).toHaveLength(1);
    await app.app.scheduler.runNow(JOBS.accountHealth);
    await deliver();
    expect(alertsOfType("session_recovered")).toHaveLength(1);
  });

  it("a dead letter that exhausts raises one dlq_exhausted alert in the admin chat", async () => {
    app = await startTestApp(rig.tg, { env: rig.env() });
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy will this one vanish?" });
    await app.app.scheduler.runNow(JOBS.discovery);
    const [reply] = (await app.database.handle.db.query.replies.findMany()).filter((r) => r.postTweetId === mention.id);
    await app.app.workflow.review.approve(reply!.id, reply!.version, 1001);
    // X refuses a reply to a deleted post for good: the dead letter is exhausted at once.
    rig.x.deleteTweet(mention.id);
    await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
    expect(await app.app.workflow.deadLetters.summary()).toMatchObject({ exhausted: 1 });
    await deliver();
    const exhausted = alertsOfType("dlq_exhausted");
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]!.text).toContain(`Gave up publishing reply #${reply!.id} after 0 retries`);
    expect(exhausted[0]!.text).toContain("/dlq");
  });
});
