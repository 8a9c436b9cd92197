/**
 * /dlq through the Telegram emulator: counts by status, the open and exhausted entries with their
 * Retry now / Discard buttons, every press answered, a stale or foreign press changes nothing.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDlqFeature, DLQ_USAGE } from "../../src/bot/features/dlq.js";
import { REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { deadLetters, posts, replies, xAccounts } from "../../src/db/schema.js";
import { createDeadLetters, type DeadLetters } from "../../src/workflow/dead-letters.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { ADMIN, ADMIN_CHAT, STRANGER } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import type { BotMessageView, EmulatorUser, TelegramEmulator } from "../support/telegram-emulator/index.js";
import { startTelegramEmulator } from "../support/telegram-emulator/index.js";

const NOW = new Date("2025-07-01T12:00:00Z"); // 14:00 in Berlin
const MINUTE = 60_000;

describe("/dlq", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let queue: DeadLetters;
  let bot: FeatureBot;
  let ids: { pending: number; exhausted: number; done: number; pendingReply: number; exhaustedReply: number };

  const db = () => database.handle.db;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    queue = createDeadLetters({
      db: database.handle.db,
      logger: silentLogger(),
      settings: { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 5 },
      now: () => NOW,
      onChange: () => Promise.resolve(),
    });
    bot = startFeatureBot(tg, database.handle, [createDlqFeature({ deadLetters: queue, now: () => NOW })], {
      BOT_TIMEZONE: "Europe/Berlin",
    });
  });
  afterAll(async () => {
    await bot.stop();
    await tg.close();
    await database.dispose();
  });

  beforeEach(async () => {
    tg.reset();
    const d = db();
    await d.delete(deadLetters);
    await d.delete(replies);
    await d.delete(posts);
    await d.delete(xAccounts);
    const [account] = await d.insert(xAccounts).values({ label: "main", username: "replyguy", xUserId: "1" }).returning();
    const failedReply = async (n: number) => {
      await d.insert(posts).values({
        tweetId: `90${n}`,
        authorId: "2",
        authorUsername: "alice",
        text: `question ${n}`,
        source: "mention",
        sourceDetail: "mentions:1",
        accountId: account!.id,
        answerable: true,
        state: "drafted",
      });
      const [row] = await d
        .insert(replies)
        .values({
          postTweetId: `90${n}`,
          accountId: account!.id,
          status: "failed",
          draft: `answer ${n}`,
          weightedLength: 8,
          expiresAt: new Date(NOW.getTime() + 86_400_000),
          attemptCount: 5,
          failureReason: "gave up",
        })
        .returning();
      return row!.id;
    };
    const pendingReply = await failedReply(1);
    const exhaustedReply = await failedReply(2);
    const doneReply = await failedReply(3);
    const [pending] = await d
      .insert(deadLetters)
      .values({
        replyId: pendingReply,
        accountId: account!.id,
        error: "could not check X before posting: X answered 503 <Service Unavailable>",
        errorType: "server_error",
        retryable: true,
        status: "pending",
        retryCount: 1,
        nextRetryAt: new Date(NOW.getTime() + 5 * MINUTE),
      })
      .returning();
    const [exhausted] = await d
      .insert(deadLetters)
      .values({
        replyId: exhaustedReply,
        accountId: account!.id,
        error: "You attempted to reply to a Tweet that is deleted or not visible to you.",
        errorType: "deleted_post",
        retryable: false,
        status: "exhausted",
      })
      .returning();
    const [done] = await d
      .insert(deadLetters)
      .values({ replyId: doneReply, accountId: account!.id, error: "x", errorType: "timeout", retryable: true, status: "retried_successfully" })
      .returning();
    ids = { pending: pending!.id, exhausted: exhausted!.id, done: done!.id, pendingReply, exhaustedReply };
  });

  /** Sends `text` in the admin group and resolves with the bot's next message there. */
  async function send(text: string, from: EmulatorUser = ADMIN): Promise<BotMessageView> {
    const before = tg.botMessages(ADMIN_CHAT.id).length;
    await tg.sendText({ from, chat: ADMIN_CHAT, text });
    await tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && tg.botMessages(ADMIN_CHAT.id).length > before);
    return tg.botMessages(ADMIN_CHAT.id)[before]!;
  }

  async function press(message: BotMessageView, data: string, from: EmulatorUser = ADMIN): Promise<string | undefined> {
    const queryId = await tg.pressButton({ from, chat: ADMIN_CHAT, messageId: message.messageId, data, force: true });
    const answer = await tg.waitForCallbackAnswer(queryId);
    expect(answer.text?.length ?? 0).toBeLessThanOrEqual(200);
    return answer.text;
  }

  const current = (message: BotMessageView) => tg.botMessages(ADMIN_CHAT.id).find((m) => m.messageId === message.messageId)!;
  const allEntries = () => db().select().from(deadLetters).orderBy(deadLetters.id);

  it("shows counts by status and the open and exhausted entries, each with Retry now and Discard", async () => {
    const message = await send("/dlq");
    expect(message.parseMode).toBe("HTML");
    expect(message.text).toBe(
      [
        "📮 <b>Dead letters</b>: 1 pending · 0 retrying · 1 exhausted · 1 retried ok · 0 discarded",
        "",
        `⏳ <b>#${ids.pending}</b> · reply #${ids.pendingReply} · @replyguy · <code>server_error</code>`,
        "   could not check X before posting: X answered 503 &lt;Service Unavailable&gt;",
        "   retries 1/5 · next 14:05 (Europe/Berlin)",
        `⛔ <b>#${ids.exhausted}</b> · reply #${ids.exhaustedReply} · @replyguy · <code>deleted_post</code>`,
        "   You attempted to reply to a Tweet that is deleted or not visible to you.",
        "   exhausted: not retryable",
      ].join("\n"),
    );
    expect(message.inlineKeyboard).toEqual([
      [
        { text: `↻ Retry now #${ids.pending}`, callbackData: `v1:dr:${ids.pending}` },
        { text: `🗑 Discard #${ids.pending}`, callbackData: `v1:dd:${ids.pending}` },
      ],
      [
        { text: `↻ Retry now #${ids.exhausted}`, callbackData: `v1:dr:${ids.exhausted}` },
        { text: `🗑 Discard #${ids.exhausted}`, callbackData: `v1:dd:${ids.exhausted}` },
      ],
    ]);
  });

  it("says so when there is nothing to act on", async () => {
    await db().delete(deadLetters).where(eq(deadLetters.id, ids.pending));
    await db().delete(deadLetters).where(eq(deadLetters.id, ids.exhausted));
    const message = await send("/dlq");
    expect(message.text).toBe(
      "📮 <b>Dead letters</b>: 0 pending · 0 retrying · 0 exhausted · 1 retried ok · 0 discarded\n\nNo failed publishes to retry or discard.",
    );
    expect(message.inlineKeyboard).toEqual([]);
  });

  it("answers bad arguments with one usage line", async () => {
    for (const text of ["/dlq list", "/dlq 5", "/dlq retry 1"]) expect((await send(text)).text).toBe(DLQ_USAGE);
  });

  it("Discard drops the entry and redraws; a second press answers 'already' and changes nothing", async () => {
    const message = await send("/dlq");
    expect(await press(message, `v1:dd:${ids.pending}`)).toBe(`Discarded #${ids.pending}; reply #${ids.pendingReply} stays failed.`);
    await tg.waitForBotMessage((m) => m.messageId === message.messageId && m.editCount > 0);
    const redrawn = current(message);
    expect(redrawn.text).toMatch(/^📮 <b>Dead letters<\/b>: 0 pending · 0 retrying · 1 exhausted · 1 retried ok · 1 discarded\n/);
    expect(redrawn.text).not.toContain(`#${ids.pending}</b>`);
    expect(redrawn.inlineKeyboard.flat().map((b) => b.callbackData)).toEqual([`v1:dr:${ids.exhausted}`, `v1:dd:${ids.exhausted}`]);
    expect((await findReply(db(), ids.pendingReply))?.status).toBe("failed");

    const after = await allEntries();
    expect(await press(message, `v1:dd:${ids.pending}`)).toBe("Already discarded.");
    expect(await press(message, `v1:dr:${ids.pending}`)).toBe("Already discarded.");
    expect(await press(message, `v1:dr:${ids.done}`)).toBe("Already retried successfully.");
    expect(await press(message, "v1:dd:424242")).toBe("There is no dead letter #424242.");
    expect(await allEntries()).toEqual(after);
    expect(current(message).editCount).toBe(redrawn.editCount);
  });

  it("Retry now hands the reply back to the publisher (reconcile first) and redraws; a second press changes nothing", async () => {
    const message = await send("/dlq");
    expect(await press(message, `v1:dr:${ids.exhausted}`)).toBe(`Retrying #${ids.exhausted} (reply #${ids.exhaustedReply}) now.`);
    await tg.waitForBotMessage((m) => m.messageId === message.messageId && m.editCount > 0);
    const [entry] = await db().select().from(deadLetters).where(eq(deadLetters.id, ids.exhausted));
    expect(entry?.status).toBe("retrying");
    expect(await findReply(db(), ids.exhaustedReply)).toMatchObject({ status: "approved", needsReconcile: true, scheduledAt: NOW });
    const redrawn = current(message);
    expect(redrawn.text).toContain(`🔁 <b>#${ids.exhausted}</b> · reply #${ids.exhaustedReply}`);
    expect(redrawn.text).toContain("being retried now");
    expect(redrawn.inlineKeyboard.flat().map((b) => b.callbackData)).toEqual([`v1:dr:${ids.pending}`, `v1:dd:${ids.pending}`]);

    const after = await allEntries();
    expect(await press(message, `v1:dr:${ids.exhausted}`)).toBe(`#${ids.exhausted} is being retried right now; nothing to retry.`);
    expect(await press(message, `v1:dd:${ids.exhausted}`)).toBe(`#${ids.exhausted} is being retried right now; nothing to discard.`);
    expect(await allEntries()).toEqual(after);
  });

  it("a stranger's press is refused and changes nothing", async () => {
    const message = await send("/dlq");
    const before = await allEntries();
    expect(await press(message, `v1:dd:${ids.pending}`, STRANGER)).toBe(REFUSAL_TEXT);
    // Refused aloud once per hour: the second press is answered with no text.
    expect(await press(message, `v1:dr:${ids.exhausted}`, STRANGER)).toBeUndefined();
    expect(await allEntries()).toEqual(before);
    expect(current(message).editCount).toBe(0);
    expect((await findReply(db(), ids.exhaustedReply))?.status).toBe("failed");
  });
});
