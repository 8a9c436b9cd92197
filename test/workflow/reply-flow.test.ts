import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { posts, replies } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, SECOND_ADMIN, STRANGER, startTestApp, type TestApp } from "../support/app-harness.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("reply workflow end to end: discover → draft → approve in Telegram → publish once", () => {
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

  /** A mention of our account by alice, discovered and drafted into a card. */
  async function mentionCard(text = "@replyguy what do you think about TypeScript 6?") {
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text });
    await app.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage(
      (m) => m.chatId === ADMIN_CHAT.id && m.text.includes(mention.text.slice(10, 30)) && m.inlineKeyboard.length > 0,
    );
    return { mention, card };
  }

  async function press(card: { messageId: number }, data: string, from = ADMIN) {
    const id = await rig.tg.pressButton({ from, chat: ADMIN_CHAT, messageId: card.messageId, data, force: true });
    return rig.tg.waitForCallbackAnswer(id);
  }

  async function replyRow(tweetId: string) {
    const [row] = await app.database.handle.db.select().from(replies).where(eq(replies.postTweetId, tweetId));
    return row!;
  }

  it("publishes an approved mention reply exactly once and shows it on the card", async () => {
    const { mention, card } = await mentionCard();
    expect(card.text).toContain("Awaiting approval");
    expect(card.text).toContain("@alice");
    expect(card.text).toContain(`https://x.com/alice/status/${mention.id}`);
    expect(card.parseMode).toBe("HTML");
    const draft = (await replyRow(mention.id)).draft;
    expect(card.text).toContain(draft);

    const answer = await press(card, buttonData(card, "Approve"));
    expect(answer.text).toMatch(/^Approved — scheduled for \d\d:\d\d \(UTC\)/);
    const published = await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.posts()).toEqual([{ text: draft, inReplyTo: mention.id }]);
    const row = await replyRow(mention.id);
    expect(row.status).toBe("published");
    expect(published.text).toContain(`https://x.com/replyguy/status/${row.replyTweetId}`);
    expect(published.inlineKeyboard).toEqual([]);
  });

  it("publishes once when Approve is pressed twice, and by two admins", async () => {
    const { mention, card } = await mentionCard();
    const data = buttonData(card, "Approve");
    const [first, second, third] = await Promise.all([press(card, data), press(card, data), press(card, data, SECOND_ADMIN)]);
    const answers = [first.text, second.text, third.text];
    expect(answers.filter((text) => text?.startsWith("Approved"))).toHaveLength(1);
    expect(answers.filter((text) => text?.startsWith("Already"))).toHaveLength(2);
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    const late = await press(card, data);
    expect(late.text).toBe("Already published.");
    await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
    expect(rig.posts()).toHaveLength(1);
    expect(rig.posts()[0]?.inReplyTo).toBe(mention.id);
  });

  it("rejects: the card says so and nothing is posted", async () => {
    const { mention, card } = await mentionCard();
    const answer = await press(card, buttonData(card, "Reject"));
    expect(answer.text).toBe("Rejected.");
    const rejected = await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Rejected"));
    expect(rejected.inlineKeyboard).toEqual([]);
    expect((await press(card, buttonData(card, "Approve"))).text).toBe("Already rejected.");
    await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
    expect(rig.posts()).toEqual([]);
    expect((await replyRow(mention.id)).status).toBe("rejected");
  });

  it("edits the draft through a conversation, then publishes the edited text", async () => {
    const { mention, card } = await mentionCard();
    await press(card, buttonData(card, "Edit"));
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Send the new text"));
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "Strong typing & <fast> feedback, for sure." });
    const edited = await rig.tg.waitForBotMessage(
      (m) => m.messageId === card.messageId && m.text.includes("Strong typing &amp; &lt;fast&gt; feedback"),
    );
    await rig.tg.waitForBotMessage((m) => m.text.includes("updated; approve it"));
    await press(edited, buttonData(edited, "Approve"));
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.posts()).toEqual([{ text: "Strong typing & <fast> feedback, for sure.", inReplyTo: mention.id }]);
  });

  it("attaches a photo in Edit, then publishes the reply once with the photo the bot downloaded from Telegram and uploaded to X", async () => {
    const { mention, card } = await mentionCard();
    await press(card, buttonData(card, "Edit"));
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Send the new text"));
    const photo = Uint8Array.from({ length: 120_000 }, (_, i) => (i * 31) % 256);
    await rig.tg.sendMedia({ from: ADMIN, chat: ADMIN_CHAT, media: { kind: "photo", bytes: photo, width: 1200, height: 900 } });
    const withMedia = await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("📎 Image · JPEG · 0.1 MB"));

    await press(withMedia, buttonData(withMedia, "Approve"));
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"), 20_000);

    const [upload] = rig.x.mediaUploads("replyguy");
    expect(rig.x.mediaUploads()).toHaveLength(1);
    expect(upload).toMatchObject({ mediaType: "image/jpeg", category: "tweet_image", totalBytes: photo.byteLength, state: "succeeded" });
    const [reply] = rig.x.repliesTo(mention.id);
    expect(rig.x.repliesTo(mention.id)).toHaveLength(1);
    expect(reply?.attachments?.media_keys).toEqual([expect.stringContaining(upload!.mediaId)]);
    expect(await replyRow(mention.id)).toMatchObject({ status: "published", mediaXId: upload!.mediaId });
  });

  it("refuses a too-long edit naming 280 and the count, and /cancel leaves the draft unchanged", async () => {
    const { mention, card } = await mentionCard();
    const before = await replyRow(mention.id);
    await press(card, buttonData(card, "Edit"));
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "x".repeat(300) });
    const tooLong = await rig.tg.waitForBotMessage((m) => m.text.startsWith("Too long"));
    expect(tooLong.text).toContain("300 of 280");
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/cancel" });
    await rig.tg.waitForBotMessage((m) => m.text.includes("Edit cancelled"));
    const after = await replyRow(mention.id);
    expect(after.draft).toBe(before.draft);
    expect(after.version).toBe(before.version);
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "this is not an edit any more" });
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/cancel" });
    await rig.tg.waitForBotMessage((m) => m.text === "Nothing to cancel.");
    expect((await replyRow(mention.id)).draft).toBe(before.draft);
  });

  it("regenerates the draft with a new model answer", async () => {
    const { mention, card } = await mentionCard();
    rig.ai.enqueueReply("A brand new take on TypeScript.");
    const answer = await press(card, buttonData(card, "Regenerate"));
    expect(answer.text).toContain("new draft");
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("A brand new take on TypeScript."));
    expect((await replyRow(mention.id)).draft).toBe("A brand new take on TypeScript.");
  });

  it("refuses Approve from a card drawn before the draft changed", async () => {
    const { mention, card } = await mentionCard();
    const staleApprove = buttonData(card, "Approve");
    await app.app.workflow.review.edit((await replyRow(mention.id)).id, "Changed behind the card.", SECOND_ADMIN.id);
    const answer = await press(card, staleApprove);
    expect(answer.text).toContain("The draft changed");
    expect((await replyRow(mention.id)).status).toBe("awaiting_approval");
  });

  it("ignores a stranger's presses", async () => {
    const { mention, card } = await mentionCard();
    const answer = await press(card, buttonData(card, "Approve"), STRANGER);
    expect(answer.text).toBe("Sorry, this bot is private.");
    await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
    expect((await replyRow(mention.id)).status).toBe("awaiting_approval");
    expect(rig.posts()).toEqual([]);
  });

  it("under REPLY_POLICY=summoned, a target's post that does not mention us is never drafted nor sent", async () => {
    const bob = rig.x.addUser({ username: "bob" });
    await app.app.workflow.watchlist.add("target", "bob", ADMIN.id);
    const post = rig.x.addTweet({ authorId: bob.id, text: "Shipping a new compiler today" });
    await app.app.scheduler.runNow(JOBS.discovery);
    const [stored] = await app.database.handle.db.select().from(posts).where(eq(posts.tweetId, post.id));
    expect(stored).toMatchObject({ answerable: false, state: "skipped", skipReason: "not_summoned" });
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/queue" });
    const queue = await rig.tg.waitForBotMessage((m) => m.text.includes("Queue"));
    expect(queue.text).toContain("1 posts not answerable");
    expect(rig.ai.chatRequests()).toHaveLength(0);
    expect(rig.posts()).toEqual([]);
  });

  it("edits survive a restart: the conversation resumes from the database", async () => {
    const { mention, card } = await mentionCard();
    await press(card, buttonData(card, "Edit"));
    await rig.tg.waitForBotMessage((m) => m.text.includes("Send the new text"));
    const database = app.database;
    await app.app.stop();
    app = await startTestApp(rig.tg, { env: rig.env(), database });
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "Written after a restart." });
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Written after a restart."));
    expect((await replyRow(mention.id)).draft).toBe("Written after a restart.");
    await database.dispose();
  });

  it("pauses: the card and /health say so and nothing is published until /resume", async () => {
    const { mention, card } = await mentionCard();
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/pause" });
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Bot paused"));
    await press(card, buttonData(card, "Approve"));
    await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
    expect(rig.posts()).toEqual([]);
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    const health = await rig.tg.waitForBotMessage((m) => m.text.includes("Health"));
    expect(health.text).toContain("paused since");

    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/resume" });
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.posts()).toEqual([{ text: (await replyRow(mention.id)).draft, inReplyTo: mention.id }]);
  });

  it("expires drafts nobody decided on: the card says so and Approve is refused", async () => {
    const { mention, card } = await mentionCard();
    const approve = buttonData(card, "Approve");
    await app.database.handle.db
      .update(replies)
      .set({ expiresAt: new Date(Date.now() - 1_000) })
      .where(eq(replies.postTweetId, mention.id));
    expect((await press(card, approve)).text).toBe("This draft has expired.");
    await app.app.scheduler.runNow(JOBS.maintenance);
    const expired = await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Expired"));
    expect(expired.inlineKeyboard).toEqual([]);
    expect((await press(card, approve)).text).toBe("Already expired.");
    expect(rig.posts()).toEqual([]);
  });
});
