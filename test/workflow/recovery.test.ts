import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replies } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp } from "../support/app-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("crash recovery at boot", () => {
  let rig: WorkflowRig;
  let database: TestDatabase;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    database = await createPgliteTestDatabase();
  });
  afterAll(async () => {
    await database.dispose();
    await rig.close();
  });

  it("finishes what a crash left half-done and reports it once in the admin chat", async () => {
    // A first life of the bot: three mentions drafted, two approved (publishing paused so nothing goes out).
    const first = await startTestApp(rig.tg, { database, env: rig.env() });
    const mentions = [0, 1, 2].map((i) => rig.x.addTweet({ authorId: rig.alice.id, text: `@replyguy recovery case ${i}?` }));
    await first.app.scheduler.runNow(JOBS.discovery);
    const cards = await Promise.all(
      [0, 1].map((i) => rig.tg.waitForBotMessage((m) => m.text.includes(`recovery case ${i}?`) && m.inlineKeyboard.length > 0)),
    );
    await first.app.workflow.pause.pause(ADMIN.id);
    for (const card of cards) {
      const id = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
      await rig.tg.waitForCallbackAnswer(id);
    }
    await first.stop();

    // What a kill -9 leaves: one reply mid-publish whose POST did reach X, one card never sent.
    const db = database.handle.db;
    const [published] = await db.select().from(replies).where(eq(replies.postTweetId, mentions[0]!.id));
    const tweet = rig.x.addTweet({ authorId: rig.us.id, text: published!.draft, inReplyToTweetId: mentions[0]!.id });
    await db.update(replies).set({ status: "publishing", leaseUntil: new Date(Date.now() + 60_000) }).where(eq(replies.id, published!.id));
    await db.update(replies).set({ cardMessageId: null, cardVersion: 0 }).where(eq(replies.postTweetId, mentions[2]!.id));
    await first.app.workflow.pause.resume(ADMIN.id);
    rig.tg.reset();

    const second = await startTestApp(rig.tg, { database, env: rig.env() });
    try {
      const report = await rig.tg.waitForBotMessage((m) => m.text.includes("Recovery report"));
      expect(report.text).toContain("1 interrupted publish(es)");
      expect(report.text).toContain("1 card(s) never sent");
      expect(report.text).toContain("1 approved repl(ies) overdue");
      expect(report.text).toContain("Dead-letter queue: empty");
      await rig.tg.waitForBotMessage((m) => m.text.includes("recovery case 2?") && m.inlineKeyboard.length > 0);

      await second.app.scheduler.runNow(JOBS.publish, { rerun: true });
      for (const mention of mentions.slice(0, 2)) expect(rig.x.repliesTo(mention.id)).toHaveLength(1);
      expect(rig.x.repliesTo(mentions[0]!.id)[0]!.id).toBe(tweet.id);
      const [reconciled] = await db.select().from(replies).where(eq(replies.id, published!.id));
      expect(reconciled).toMatchObject({ status: "published", replyTweetId: tweet.id });
      expect(rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("Recovery report"))).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});
