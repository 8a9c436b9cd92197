/**
 * Opt-out is final, end to end through Telegram: /optout cancels every unpublished reply to the
 * author whatever its state, their cards say so, and an Approve pressed later on an old card
 * publishes nothing.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deadLetters, replies } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import type { BotMessageView } from "../support/telegram-emulator/index.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("/optout cancels every unpublished reply to the author", () => {
  let rig: WorkflowRig;
  let app: TestApp;

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  beforeEach(async () => {
    // Four posts by one author: above the default per-author spend cap (3), which is not what this tests.
    app = await startTestApp(rig.tg, { env: rig.env({ MAX_DRAFTS_PER_AUTHOR_PER_DAY: "10" }) });
  });
  afterEach(async () => {
    await app.stop();
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  async function press(card: { messageId: number }, data: string) {
    const id = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data, force: true });
    return rig.tg.waitForCallbackAnswer(id);
  }

  const cardNow = (card: BotMessageView, text: string) =>
    rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes(text));

  async function replyOf(tweetId: string) {
    const [row] = await app.database.handle.db.select().from(replies).where(eq(replies.postTweetId, tweetId));
    return row!;
  }

  it("awaiting, scheduled, retrying and dead-lettered replies are cancelled, cards edited, a later Approve posts nothing", async () => {
    const topics = ["awaiting", "scheduled", "retrying", "dead-lettered"];
    const mentions = topics.map((topic) => rig.x.addTweet({ authorId: rig.alice.id, text: `@replyguy question about ${topic} things?` }));
    await app.app.scheduler.runNow(JOBS.discovery);
    const [awaiting, scheduled, retrying, dead] = await Promise.all(
      topics.map((topic) =>
        rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes(`about ${topic} things`) && m.inlineKeyboard.length > 0),
      ),
    );
    const oldApprove = buttonData(awaiting!, "Approve");

    // Dead-lettered: X refuses the POST for good.
    rig.x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 400 });
    await press(dead!, buttonData(dead!, "Approve"));
    await cardNow(dead!, "Failed");
    // Retrying: X answers 429, so it waits for the rate limit's reset.
    rig.x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "rateLimited", resetInSeconds: 3600 });
    await press(retrying!, buttonData(retrying!, "Approve"));
    await cardNow(retrying!, "retrying after");
    // Scheduled: an hour from now.
    await app.app.workflow.settings.set("max_delay", "60", ADMIN.id);
    await app.app.workflow.settings.set("min_delay", "60", ADMIN.id);
    await press(scheduled!, buttonData(scheduled!, "Approve"));
    await cardNow(scheduled!, "Scheduled for");
    const postsBefore = rig.posts().length;
    expect((await replyOf(mentions[3]!.id)).status).toBe("failed");
    expect((await replyOf(mentions[2]!.id)).status).toBe("approved");

    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/optout @Alice" });
    const answer = await rig.tg.waitForBotMessage((m) => m.text.includes("opted out"));
    expect(answer.text).toBe("@alice opted out: no reply will be drafted or posted to their posts. 4 unpublished replies to them cancelled.");

    for (const card of [awaiting!, scheduled!, retrying!, dead!]) {
      const edited = await cardNow(card, "Cancelled");
      expect(edited.text).toContain("@alice opted out");
      expect(edited.inlineKeyboard).toEqual([]);
    }
    for (const mention of mentions) expect((await replyOf(mention.id)).status).toBe("cancelled");
    const [entry] = await app.database.handle.db
      .select()
      .from(deadLetters)
      .where(eq(deadLetters.replyId, (await replyOf(mentions[3]!.id)).id));
    expect(entry?.status).toBe("discarded");

    expect((await press(awaiting!, oldApprove)).text).toBe("Already cancelled (the author opted out).");
    await app.app.scheduler.runNow(JOBS.deadLetters);
    await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
    expect(rig.posts()).toHaveLength(postsBefore);
    expect((await replyOf(mentions[0]!.id)).status).toBe("cancelled");
  });
});
