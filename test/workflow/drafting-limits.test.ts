/**
 * Drafting's limits in the running app, end to end through the fake X, the fake OpenAI and the Telegram emulator:
 * spend caps counted in the database (across a restart), skips shown in /stats and /metrics, max_tokens on every
 * AI request, and one alert per AI outage.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ALERTS_JOB } from "../../src/app.js";
import { posts } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("drafting limits in the running bot", () => {
  let rig: WorkflowRig;
  let database: TestDatabase | undefined;
  let app: TestApp | undefined;

  const db = () => app!.database.handle.db;
  const cards = () => rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.inlineKeyboard.length > 0);
  const alertsOfType = (type: string) => rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes(`<code>${type}</code>`));
  const pending = async () => (await db().select().from(posts).where(eq(posts.state, "pending_draft"))).length;
  const mention = (text: string) => rig.x.addTweet({ authorId: rig.alice.id, text });

  /** Discovery, then drafting passes (each handles a batch) until no post waits. */
  async function discoverAndDraftAll(): Promise<void> {
    await app!.app.scheduler.runNow(JOBS.discovery);
    for (let pass = 0; pass < 10 && (await pending()) > 0; pass++) await app!.app.scheduler.runNow(JOBS.maintenance);
    expect(await pending()).toBe(0);
  }

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await database?.dispose();
    database = undefined;
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  it("31 mentions from one account make 3 cards; the rest are skipped with the reason in /stats and /metrics", { timeout: 60_000 }, async () => {
    app = await startTestApp(rig.tg, { env: rig.env() });
    // The first discovery reads only the newest page; after it, every new mention is read.
    mention("@replyguy first question");
    await discoverAndDraftAll();
    for (let i = 0; i < 30; i++) mention(`@replyguy question number ${i}`);
    await discoverAndDraftAll();

    const rows = await db().select().from(posts);
    expect(rows).toHaveLength(31);
    expect(rows.filter((row) => row.state === "drafted")).toHaveLength(3);
    expect(rows.filter((row) => row.state === "skipped" && row.skipReason === "author_cap")).toHaveLength(28);
    expect(cards()).toHaveLength(3);
    expect(rig.ai.chatRequests()).toHaveLength(3);
    for (const request of rig.ai.chatRequests()) expect((request.body as { max_tokens?: unknown }).max_tokens).toBe(400);

    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/stats" });
    const stats = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Skipped posts by reason"));
    expect(stats.text).toMatch(/author_cap +28 +28/);

    const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(metrics).toContain('rgb_posts_skipped{reason="author_cap"} 28');
  });

  it("the caps hold across a restart: a new process on the same database drafts no more for that author", { timeout: 60_000 }, async () => {
    database = await createPgliteTestDatabase();
    const env = rig.env({ MAX_DRAFTS_PER_AUTHOR_PER_DAY: "2", AI_MAX_TOKENS: "150" });
    app = await startTestApp(rig.tg, { env, database });
    mention("@replyguy before the restart");
    await discoverAndDraftAll();
    mention("@replyguy still before the restart");
    await discoverAndDraftAll();
    expect(cards()).toHaveLength(2);
    await app.stop();

    app = await startTestApp(rig.tg, { env, database });
    const after = mention("@replyguy after the restart");
    await discoverAndDraftAll();
    const [row] = await db().select().from(posts).where(eq(posts.tweetId, after.id));
    expect(row).toMatchObject({ state: "skipped", skipReason: "author_cap" });
    expect(rig.ai.chatRequests()).toHaveLength(2);
    for (const request of rig.ai.chatRequests()) expect((request.body as { max_tokens?: unknown }).max_tokens).toBe(150);
  });

  it("the day cap counts every author", { timeout: 60_000 }, async () => {
    app = await startTestApp(rig.tg, { env: rig.env({ MAX_DRAFTS_PER_DAY: "2" }) });
    const bob = rig.x.addUser({ id: "900003", username: "bob", name: "Bob" });
    mention("@replyguy alice asks");
    await discoverAndDraftAll();
    rig.x.addTweet({ authorId: bob.id, text: "@replyguy bob asks" });
    rig.x.addTweet({ authorId: bob.id, text: "@replyguy bob asks again" });
    await discoverAndDraftAll();
    const rows = await db().select().from(posts);
    expect(rows.map((row) => row.skipReason ?? row.state).sort()).toEqual(["day_cap", "drafted", "drafted"]);
    expect(cards()).toHaveLength(2);
  });

  it("an AI outage with posts waiting raises one alert with their number and one when drafts are made again", { timeout: 60_000 }, async () => {
    app = await startTestApp(rig.tg, {
      env: rig.env({
        MAX_DRAFTS_PER_AUTHOR_PER_DAY: "10",
        AI_BREAKER_THRESHOLD: "3",
        AI_BREAKER_HALF_OPEN_SECONDS: "1",
        RETRY_BASE_DELAY_MS: "5",
        RETRY_MAX_DELAY_MS: "10",
      }),
    });
    mention("@replyguy first");
    await discoverAndDraftAll();
    rig.ai.setDown(503);
    for (let i = 0; i < 3; i++) mention(`@replyguy waiting ${i}`);
    await app.app.scheduler.runNow(JOBS.discovery);
    for (let pass = 0; pass < 3; pass++) await app.app.scheduler.runNow(JOBS.maintenance);
    expect(app.app.registry.policy("ai:gpt-4o-mini", "ai").state).toBe("open");
    expect(await pending()).toBe(3);

    rig.ai.setDown(null);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await app.app.scheduler.runNow(JOBS.maintenance);
    expect(await pending()).toBe(0);
    await app.app.scheduler.runNow(ALERTS_JOB);

    const outage = alertsOfType("ai_outage");
    expect(outage).toHaveLength(1);
    expect(outage[0]!.text).toContain("3 posts waiting");
    const back = alertsOfType("ai_recovered");
    expect(back).toHaveLength(1);
    expect(back[0]!.text).toContain("3 drafts made");
    expect(alertsOfType("tweet_processing_failed")).toHaveLength(0);
    expect(alertsOfType("circuit_breaker_open")).toHaveLength(0);
    expect(cards()).toHaveLength(4);
  });
});
