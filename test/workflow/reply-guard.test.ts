import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { posts, replies } from "../../src/db/schema.js";
import { escapeHtml } from "../../src/text/html.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

/** The reply's text as the card shows it: the second blockquote (the first is the post), unescaped. */
function draftOnCard(cardHtml: string): string {
  const quotes = [...cardHtml.matchAll(/<blockquote>([\s\S]*?)<\/blockquote>/g)].map((m) => m[1] ?? "");
  return (quotes[1] ?? "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
}

describe("a model draft's new links and mentions: refused, or flagged on the card when allowed", () => {
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

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    app = await startTestApp(rig.tg, { env: rig.env(env) });
    return app;
  }

  async function draftFor(running: TestApp, text: string, answer: string) {
    rig.ai.enqueueReply(answer);
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text });
    await running.app.scheduler.runNow(JOBS.discovery);
    return mention;
  }

  async function cardFor(running: TestApp, tweetId: string) {
    const [reply] = await running.database.handle.db.select().from(replies).where(eq(replies.postTweetId, tweetId));
    expect(reply).toBeDefined();
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes(`Reply #${reply!.id} `));
    return { reply: reply!, card };
  }

  it("by default a draft with a new link makes no reply and no card: the draft failed", async () => {
    const running = await start();
    const mention = await draftFor(running, "@replyguy which ORM do you use?", "Drizzle, see https://evil.com/deal");
    expect(rig.ai.chatRequests()).toHaveLength(1);
    const { db } = running.database.handle;
    expect(await db.select().from(replies).where(eq(replies.postTweetId, mention.id))).toEqual([]);
    const [post] = await db.select().from(posts).where(eq(posts.tweetId, mention.id));
    expect(post?.state).not.toBe("drafted");
    expect(post?.draftAttempts).toBe(1);
  });

  it("by default a draft mentioning someone new is refused the same way", async () => {
    const running = await start();
    const mention = await draftFor(running, "@replyguy which ORM do you use?", "Drizzle — ask @someone_else");
    expect(await running.database.handle.db.select().from(replies).where(eq(replies.postTweetId, mention.id))).toEqual([]);
  });

  it("REPLY_ALLOW_LINKS=true: the draft is kept, flagged on the card, and what the card shows is what is posted", async () => {
    const running = await start({ REPLY_ALLOW_LINKS: "true" });
    const mention = await draftFor(running, "@replyguy which ORM do you use?", "Drizzle & co, see https://example.org/orm");
    const { reply, card } = await cardFor(running, mention.id);
    expect(reply.flags).toEqual(["new_link"]);
    expect(card.text).toContain("Links to something the post did not");
    expect(card.text).toContain("REPLY_ALLOW_LINKS");
    expect(card.text).not.toContain("Mentions someone the post did not");
    expect(draftOnCard(card.text)).toBe(reply.draft);

    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve"), force: true });
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.posts()).toEqual([{ text: draftOnCard(card.text), inReplyTo: mention.id }]);
  });

  it("Regenerate: a new draft with a new link is refused, the admin is told why, and the draft stays", async () => {
    const running = await start();
    const mention = await draftFor(running, "@replyguy which ORM do you use?", "Drizzle.");
    const { card } = await cardFor(running, mention.id);
    rig.ai.enqueueReply("Drizzle, sign up at https://evil.com/deal");
    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Regenerate"), force: true });
    const told = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.startsWith("Regenerate #"));
    expect(told.text).toContain("wrote a link the post did not contain (https://evil.com/deal)");
    expect(told.text).toContain("The draft is unchanged.");
    const [row] = await running.database.handle.db.select().from(replies).where(eq(replies.postTweetId, mention.id));
    expect(row?.draft).toBe("Drizzle.");
  });

  it("REPLY_ALLOW_MENTIONS=true: a new mention is flagged on the card", async () => {
    const running = await start({ REPLY_ALLOW_MENTIONS: "true" });
    const mention = await draftFor(running, "@replyguy which ORM do you use?", "Drizzle — ask @someone_else");
    const { reply, card } = await cardFor(running, mention.id);
    expect(reply.flags).toEqual(["new_mention"]);
    expect(card.text).toContain("Mentions someone the post did not");
  });

  it("a link the post contained is accepted without a flag", async () => {
    const running = await start();
    const mention = await draftFor(running, "@replyguy is https://orm.drizzle.team any good?", "Yes, https://orm.drizzle.team is great");
    const { reply, card } = await cardFor(running, mention.id);
    expect(reply.flags).toEqual([]);
    expect(card.text).not.toContain("⚠️");
  });

  it("an edit loses its invisible characters, and an edit adding a link is flagged: the card shows what is posted", async () => {
    const running = await start();
    const mention = await draftFor(running, "@replyguy which ORM do you use?", "Drizzle.");
    const { card } = await cardFor(running, mention.id);
    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Edit"), force: true });
    await rig.tg.waitForBotMessage((m) => m.text.includes("Send the new text"));
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "\u200BDrizzle\u202E, docs at orm.drizzle.team\u{E0041}\u2060" });
    const edited = await rig.tg.waitForBotMessage(
      (m) => m.messageId === card.messageId && m.text.includes(escapeHtml("Drizzle, docs at orm.drizzle.team")),
    );
    const [row] = await running.database.handle.db.select().from(replies).where(eq(replies.postTweetId, mention.id));
    expect(row?.draft).toBe("Drizzle, docs at orm.drizzle.team");
    expect(row?.flags).toEqual(["new_link"]);
    expect(draftOnCard(edited.text)).toBe(row?.draft);
    expect(edited.text).toContain("Links to something the post did not");

    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(edited, "Approve"), force: true });
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.posts()).toEqual([{ text: "Drizzle, docs at orm.drizzle.team", inReplyTo: mention.id }]);
  });
});
