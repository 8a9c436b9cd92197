/**
 * The post is read again before publishing, end to end through Telegram: a post edited on X after
 * its reply was approved sends the reply back for approval, with the new text on its card.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { replies } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("a post edited after approval", () => {
  let rig: WorkflowRig;
  let app: TestApp;

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  beforeEach(async () => {
    app = await startTestApp(rig.tg, { env: rig.env({ SCHEDULE_MIN_DELAY_MINUTES: "60", SCHEDULE_MAX_DELAY_MINUTES: "60" }) });
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

  it("goes back to awaiting approval with the new text on its card, and nothing is posted", async () => {
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy is Go good for CLIs?" });
    await app.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("is Go good") && m.inlineKeyboard.length > 0);
    const approve = buttonData(card, "Approve");
    await press(card, approve);
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Scheduled for"));

    rig.x.editTweet(mention.id, "@replyguy is Rust good for CLIs? (edited)");
    // Due now: the schedule is backdated rather than waited for.
    const db = app.database.handle.db;
    await db.update(replies).set({ scheduledAt: new Date(Date.now() - 1_000) }).where(eq(replies.postTweetId, mention.id));
    await app.app.scheduler.runNow(JOBS.publish, { rerun: true });

    const redrawn = await rig.tg.waitForBotMessage(
      (m) => m.messageId === card.messageId && m.text.includes("Awaiting approval") && m.text.includes("is Rust good for CLIs? (edited)"),
    );
    expect(redrawn.text).toContain("edited on X");
    expect(redrawn.inlineKeyboard.length).toBeGreaterThan(0);
    expect(rig.posts()).toEqual([]);
    const [row] = await db.select().from(replies).where(eq(replies.postTweetId, mention.id));
    expect(row?.status).toBe("awaiting_approval");
    // The approval given for the old text does not carry over.
    expect((await press(card, approve)).text).not.toMatch(/^Approved/);
    expect(rig.posts()).toEqual([]);
  });
});
