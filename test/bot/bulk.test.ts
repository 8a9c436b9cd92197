/**
 * Bulk approve in Telegram (the whole app on the emulator, the fake X and the fake OpenAI): /queue offers
 * "Approve all (N)", "Select" and "Reject all"; each ends in a confirmation that says what will happen before
 * anything changes; Confirm turns that message into the batch's progress and then its summary, which /queue lists.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { replies } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import type { BotMessageView } from "../support/telegram-emulator/index.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("bulk approve from /queue", () => {
  let rig: WorkflowRig;
  let app: TestApp;

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  beforeEach(async () => {
    app = await startTestApp(rig.tg, { env: rig.env() });
  });
  afterEach(async () => {
    await app.stop();
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  /** `count` mentions of our account by alice, discovered and drafted into cards. */
  async function drafts(count: number) {
    const mentions = [];
    for (let n = 0; n < count; n++) mentions.push(rig.x.addTweet({ authorId: rig.alice.id, text: `@replyguy bulk question ${n}?` }));
    await app.app.scheduler.runNow(JOBS.discovery);
    const rows = await app.database.handle.db.select().from(replies).where(eq(replies.status, "awaiting_approval"));
    expect(rows).toHaveLength(count);
    return mentions;
  }

  async function press(message: BotMessageView, label: string) {
    const id = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: message.messageId, data: buttonData(message, label), force: true });
    return rig.tg.waitForCallbackAnswer(id);
  }

  async function queueMessage(predicate: (m: BotMessageView) => boolean = () => true) {
    const last = Math.max(0, ...rig.tg.botMessages(ADMIN_CHAT.id).map((m) => m.messageId));
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/queue" });
    return rig.tg.waitForBotMessage((m) => m.text.startsWith("<b>Queue</b>") && m.messageId > last && predicate(m));
  }

  it("Approve all: the confirmation states the plan, Confirm publishes each once, the message ends as the summary listed in /queue", async () => {
    const mentions = await drafts(3);
    const queue = await queueMessage();
    expect(queue.inlineKeyboard.flat().map((button) => button.text)).toEqual(["✅ Approve all (3)", "☑️ Select", "🗑 Reject all"]);

    await press(queue, "Approve all");
    const confirmation = await rig.tg.waitForBotMessage((m) => m.text.includes("Approve 3 drafts?"));
    // Mentions summon the account they mention: bound to it.
    expect(confirmation.text).toContain("• @replyguy: 3 bound (only it may reply)");
    expect(confirmation.text).toMatch(/earliest \d\d:\d\d \(UTC\), latest about \d\d:\d\d \(UTC\)/);
    expect(confirmation.text).toContain("Nothing changes until you confirm.");
    expect(rig.posts()).toEqual([]);

    const answer = await press(confirmation, "Confirm");
    expect(answer.text).toBe("Started: 3 decided, 0 skipped.");
    const summary = await rig.tg.waitForBotMessage((m) => m.messageId === confirmation.messageId && m.text.includes("done"), 15_000);
    expect(summary.text).toMatch(/^<b>Batch #\d+ done<\/b> in \d+ s: 3 drafts\n• published 3: @replyguy 3$/);
    expect(summary.inlineKeyboard).toEqual([]);
    expect(rig.posts().map((post) => post.inReplyTo).sort()).toEqual(mentions.map((mention) => mention.id).sort());

    // A second confirmation press changes nothing.
    expect((await press(confirmation, "Confirm")).text).toBe("This batch is already done.");
    const after = await queueMessage((m) => m.text.includes("Last batches"));
    expect(after.text).toMatch(/<b>Last batches<\/b>\n• #\d+ \d\d:\d\d \(UTC\): 3 published, \d+ s/);
    expect(rig.posts()).toHaveLength(3);
  });

  it("the confirmation's Cancel changes nothing; Select + Approve selected publishes only the drafts toggled on", async () => {
    const mentions = await drafts(3);
    const queue = await queueMessage();
    await press(queue, "Approve all");
    const confirmation = await rig.tg.waitForBotMessage((m) => m.text.includes("Approve 3 drafts?"));
    expect((await press(confirmation, "Cancel")).text).toBe("Cancelled: nothing changed.");
    await rig.tg.waitForBotMessage((m) => m.messageId === confirmation.messageId && m.text.includes("nothing changed"));

    await press(queue, "Select");
    const selection = await rig.tg.waitForBotMessage((m) => m.text.startsWith("<b>Select drafts</b>"));
    const [first] = await app.database.handle.db.select().from(replies).where(eq(replies.postTweetId, mentions[1]!.id));
    await press(selection, `#${first!.id}`);
    const toggled = await rig.tg.waitForBotMessage((m) => m.messageId === selection.messageId && m.text.includes("1 selected"));
    expect(toggled.text).toContain(`☑️ #${first!.id}`);
    await press(toggled, "Approve selected");
    const confirm = await rig.tg.waitForBotMessage((m) => m.messageId === selection.messageId && m.text.includes("Approve 1 draft?"));
    await press(confirm, "Confirm");
    await rig.tg.waitForBotMessage((m) => m.messageId === selection.messageId && m.text.includes("done"), 15_000);
    expect(rig.posts().map((post) => post.inReplyTo)).toEqual([mentions[1]!.id]);
  });
});
