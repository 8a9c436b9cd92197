/**
 * Cards never jam, end to end through the Telegram emulator (which refuses, like Telegram, a text
 * over 4096 visible characters): a draft that is one 4,000-character URL (23 weighted characters
 * on X) gets a card that fits and the whole draft is published; a card Telegram refuses is marked
 * failed, alerted once, and the next cards go out.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ALERTS_JOB } from "../../src/app.js";
import { replies } from "../../src/db/schema.js";
import { htmlTextLength } from "../../src/text/html.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const LONG_URL = `https://example.com/read/${"a".repeat(3_975)}`;

describe("cards never jam (end to end)", () => {
  let rig: WorkflowRig;
  let app: TestApp | undefined;

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

  const replyOf = async (tweetId: string) =>
    (await app!.database.handle.db.select().from(replies).where(eq(replies.postTweetId, tweetId)))[0]!;

  it("a 4,000-character URL draft gets a card that fits; Approve publishes the whole draft", async () => {
    app = await startTestApp(rig.tg, { env: rig.env() });
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: `@replyguy is this worth it? ${LONG_URL}` });
    const draft = `Worth every minute: ${LONG_URL}`;
    rig.ai.enqueueReply(draft);
    await app.app.scheduler.runNow(JOBS.discovery);

    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Worth every minute"));
    const row = await replyOf(mention.id);
    expect(row).toMatchObject({ draft, tooLong: false, cardMessageId: card.messageId, cardFailedVersion: null });
    expect(row.draft.length).toBeGreaterThan(4_000);
    expect(htmlTextLength(card.text)).toBeLessThanOrEqual(4_096);
    expect(card.text).toContain("Draft shortened on this card");

    await rig.tg.pressButton({ from: { id: 1001, first_name: "Ada" }, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve"), force: true });
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.posts()).toEqual([{ text: draft, inReplyTo: mention.id }]);
  });

  it("a card Telegram refuses is marked failed with the reason, one alert says so, and the next card goes out", async () => {
    app = await startTestApp(rig.tg, { env: rig.env() });
    const first = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy first question, refused card?" });
    const second = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy second question, sent card?" });
    rig.ai.enqueueReply("An answer to the first.");
    rig.ai.enqueueReply("An answer to the second.");
    await rig.tg.waitForBotMessage((m) => m.text.includes("Recovery report")); // sent at boot: the next send is a card
    rig.tg.injectFault("sendMessage", { status: 400, description: "Bad Request: can't parse entities: Unsupported start tag" });
    await app.app.scheduler.runNow(JOBS.discovery);

    const rows = [await replyOf(first.id), await replyOf(second.id)].sort((a, b) => a.id - b.id);
    const [refused, sent] = rows as [typeof rows[0], typeof rows[0]];
    expect(refused).toMatchObject({
      cardMessageId: null,
      cardFailedVersion: refused.version,
      cardFailureReason: "Telegram 400: Bad Request: can't parse entities: Unsupported start tag",
      status: "awaiting_approval",
    });
    expect(sent.cardMessageId).not.toBeNull();
    expect(rig.tg.botMessages(ADMIN_CHAT.id).map((m) => m.messageId)).toContain(sent.cardMessageId);

    await app.app.scheduler.runNow(JOBS.maintenance);
    await app.app.scheduler.runNow(ALERTS_JOB);
    const alerts = rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("<code>card_failed</code>"));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toContain(`reply #${refused.id}`);
    expect(alerts[0]!.text).toContain("can't parse entities");
  });
});
