/**
 * /queue through the Telegram emulator: the open replies eight to a page, in status then due-time
 * order, with Newer / Older buttons that turn the page in place; a page out of range shows the last.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createQueueFeature, QUEUE_PAGE_SIZE } from "../../src/bot/features/queue.js";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import { createQueueView } from "../../src/workflow/queue-view.js";
import { ADMIN, ADMIN_CHAT } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";
import type { BotMessageView, TelegramEmulator } from "../support/telegram-emulator/index.js";
import { startTelegramEmulator } from "../support/telegram-emulator/index.js";

const NOW = new Date("2025-07-01T12:00:00Z"); // 14:00 in Berlin
const HOUR = 3_600_000;

describe("/queue", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let bot: FeatureBot;
  let accountId: number;

  const db = () => database.handle.db;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    bot = startFeatureBot(tg, database.handle, [createQueueFeature({ queue: createQueueView(database.handle.db), now: () => NOW })], {
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
    await clearWorkflowTables(db());
    const [account] = await db().insert(xAccounts).values({ label: "main", username: "replyguy", xUserId: "1" }).returning();
    accountId = account!.id;
  });

  /** Adds a reply in `status` to a post by `author`; returns the reply id. */
  async function addReply(
    n: number,
    status: "awaiting_approval" | "approved" | "publishing" | "rejected" | "published",
    options: { author?: string | null; scheduledAt?: Date; bound?: boolean } = {},
  ): Promise<number> {
    const author = options.author === undefined ? `user${n}` : options.author;
    await db().insert(posts).values({
      tweetId: `70${n}`,
      authorId: `id${n}`,
      authorUsername: author,
      text: `post ${n}`,
      source: "mention",
      sourceDetail: "mentions:1",
      accountId,
      answerable: true,
      state: "drafted",
    });
    const [row] = await db()
      .insert(replies)
      .values({
        postTweetId: `70${n}`,
        accountId,
        boundAccountId: options.bound ? accountId : null,
        status,
        draft: `draft number ${n}`,
        weightedLength: 14,
        expiresAt: new Date(NOW.getTime() + 24 * HOUR),
        scheduledAt: options.scheduledAt ?? null,
      })
      .returning();
    return row!.id;
  }

  /** Adds `count` drafts awaiting approval, in id order; returns their ids. */
  async function addDrafts(count: number, from = 1): Promise<number[]> {
    const ids: number[] = [];
    for (let n = from; n < from + count; n++) ids.push(await addReply(n, "awaiting_approval"));
    return ids;
  }

  async function sendQueue(): Promise<BotMessageView> {
    await tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/queue" });
    return tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id);
  }

  /** Presses `data` on `message`, checks the press was answered, and resolves with the message after its next edit. */
  async function turnPage(message: BotMessageView, data: string): Promise<BotMessageView> {
    const edits = current(message).editCount;
    const queryId = await tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: message.messageId, data, force: true });
    await tg.waitForCallbackAnswer(queryId);
    return tg.waitForBotMessage((m) => m.messageId === message.messageId && m.editCount > edits);
  }

  const current = (message: BotMessageView) => tg.botMessages(ADMIN_CHAT.id).find((m) => m.messageId === message.messageId)!;
  const buttons = (message: BotMessageView) => message.inlineKeyboard.flat().map((b) => [b.text, b.callbackData]);
  const listedIds = (message: BotMessageView) => [...message.text.matchAll(/ #(\d+) /g)].map((m) => Number(m[1]));

  it("says so when nothing is open, with no buttons", async () => {
    await addReply(1, "rejected");
    await addReply(2, "published");
    const message = await sendQueue();
    expect(message.text).toBe("<b>Queue</b>: 0 open (page 1/1)\n\nNothing awaiting approval or scheduled.");
    expect(message.inlineKeyboard).toEqual([]);
  });

  it("lists open replies by status then due time, with the scheduled time in the bot's zone, the account when it is fixed, and the unanswerable count", async () => {
    const later = await addReply(1, "approved", { scheduledAt: new Date(NOW.getTime() + 2 * HOUR), bound: true });
    const sooner = await addReply(2, "approved", { scheduledAt: new Date(NOW.getTime() + HOUR) });
    const draft = await addReply(3, "awaiting_approval", { author: null });
    const sending = await addReply(4, "publishing");
    await addReply(5, "rejected");
    await db().insert(posts).values({
      tweetId: "999",
      authorId: "9",
      text: "not for us",
      source: "search",
      sourceDetail: "q",
      accountId,
      answerable: false,
      state: "skipped",
      skipReason: "not_summoned",
    });
    const message = await sendQueue();
    expect(message.parseMode).toBe("HTML");
    expect(message.text).toBe(
      [
        "<b>Queue</b>: 4 open (page 1/1)",
        "",
        `🕒 #${sooner} @user2 · 15:00 (Europe/Berlin)`,
        "   draft number 2",
        `🕒 #${later} @user1 · 16:00 (Europe/Berlin) · from @replyguy`,
        "   draft number 1",
        `🟡 #${draft} id3`,
        "   draft number 3",
        `📤 #${sending} @user4 · from @replyguy`,
        "   draft number 4",
        "🚷 1 posts not answerable (author did not mention us)",
      ].join("\n"),
    );
    expect(message.inlineKeyboard).toEqual([]);
  });

  it("pages with Older and Newer, editing the message in place; the last page has no Older", async () => {
    const ids = await addDrafts(2 * QUEUE_PAGE_SIZE + 1);
    const first = await sendQueue();
    expect(first.text.split("\n")[0]).toBe(`<b>Queue</b>: ${ids.length} open (page 1/3)`);
    expect(listedIds(first)).toEqual(ids.slice(0, QUEUE_PAGE_SIZE));
    expect(buttons(first)).toEqual([["Older ▶️", "v1:q:1"]]);

    const second = await turnPage(first, "v1:q:1");
    expect(second.text.split("\n")[0]).toBe(`<b>Queue</b>: ${ids.length} open (page 2/3)`);
    expect(listedIds(second)).toEqual(ids.slice(QUEUE_PAGE_SIZE, 2 * QUEUE_PAGE_SIZE));
    expect(buttons(second)).toEqual([
      ["◀️ Newer", "v1:q:0"],
      ["Older ▶️", "v1:q:2"],
    ]);

    const last = await turnPage(first, "v1:q:2");
    expect(last.text.split("\n")[0]).toBe(`<b>Queue</b>: ${ids.length} open (page 3/3)`);
    expect(listedIds(last)).toEqual(ids.slice(2 * QUEUE_PAGE_SIZE));
    expect(buttons(last)).toEqual([["◀️ Newer", "v1:q:1"]]);

    const back = await turnPage(first, "v1:q:1");
    expect(listedIds(back)).toEqual(ids.slice(QUEUE_PAGE_SIZE, 2 * QUEUE_PAGE_SIZE));
    // Every page turn edited the one /queue message; none was sent anew.
    expect(tg.botMessages(ADMIN_CHAT.id)).toHaveLength(1);
    expect(current(first).editCount).toBe(3);
  });

  it("a page past the end (the queue shrank since the buttons were drawn) shows the last page", async () => {
    const ids = await addDrafts(QUEUE_PAGE_SIZE + 2);
    const message = await sendQueue();
    const clamped = await turnPage(message, "v1:q:99");
    expect(clamped.text.split("\n")[0]).toBe(`<b>Queue</b>: ${ids.length} open (page 2/2)`);
    expect(listedIds(clamped)).toEqual(ids.slice(QUEUE_PAGE_SIZE));
    expect(buttons(clamped)).toEqual([["◀️ Newer", "v1:q:0"]]);
  });

  it("exactly one full page has no buttons", async () => {
    await addDrafts(QUEUE_PAGE_SIZE);
    const message = await sendQueue();
    expect(message.text.split("\n")[0]).toBe(`<b>Queue</b>: ${QUEUE_PAGE_SIZE} open (page 1/1)`);
    expect(message.inlineKeyboard).toEqual([]);
  });
});
