import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTraceFeature, renderTimeline, TRACE_USAGE } from "../../src/bot/features/trace.js";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import { htmlTextLength, TELEGRAM_TEXT_MAX } from "../../src/text/html.js";
import { recordEvent } from "../../src/workflow/stats.js";
import { createTraceView, type PostTimeline } from "../../src/workflow/trace.js";
import { ADMIN, ADMIN_CHAT, STRANGER } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

const POST = "1800000000000000001";
const PUBLISHED = "1800000000000000099";
/** 14:mm UTC on 10 March 2025: 15:mm in Berlin (winter time). */
const at = (m: number): Date => new Date(Date.UTC(2025, 2, 10, 14, m, 0));

describe("/trace", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let bot: FeatureBot;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    const db = database.handle.db;
    const [main] = await db.insert(xAccounts).values({ label: "main" }).returning();
    await db.insert(posts).values({
      tweetId: POST,
      authorId: "42",
      authorUsername: "alice",
      text: "is <b> & co worth it?",
      source: "mention",
      sourceDetail: "@replyguy",
      accountId: main!.id,
      answerable: true,
      state: "drafted",
      discoveredAt: at(0),
      gateCheckedAt: at(1),
      gateScore: 0.8,
      gateReason: "on topic <yes>",
    });
    const [reply] = await db
      .insert(replies)
      .values({
        postTweetId: POST,
        status: "published",
        draft: "Yes.",
        weightedLength: 4,
        model: "gpt-4o-mini",
        cardMessageId: 77,
        decidedBy: ADMIN.id,
        decidedAt: at(4),
        scheduledAt: at(5),
        replyTweetId: PUBLISHED,
        publishedAt: at(9),
        expiresAt: at(600),
        createdAt: at(2),
      })
      .returning();
    await recordEvent(db, { kind: "discovered", postTweetId: POST, at: at(0) });
    await recordEvent(db, { kind: "drafted", postTweetId: POST, replyId: reply!.id, at: at(2) });
    await recordEvent(db, { kind: "approved", replyId: reply!.id, actor: ADMIN.id, at: at(4) });
    await recordEvent(db, { kind: "published", replyId: reply!.id, at: at(9) });
    bot = startFeatureBot(tg, database.handle, [createTraceFeature({ trace: createTraceView(db), now: () => at(30) })], {
      BOT_TIMEZONE: "Europe/Berlin",
    });
  });
  afterEach(() => {
    tg.reset();
  });
  afterAll(async () => {
    await bot.stop();
    await tg.close();
    await database.dispose();
  });

  async function ask(text: string, from = ADMIN) {
    await tg.sendText({ from, chat: ADMIN_CHAT, text });
    return tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id);
  }

  const TIMELINE = [
    `🔎 <b>Trace of post ${POST}</b>`,
    "@alice: is &lt;b&gt; &amp; co worth it?",
    "Post: drafted, for main",
    "Reply #1: published, drafted 15:02:00 (Europe/Berlin) with gpt-4o-mini",
    "Card: message 77",
    `Decided by ${ADMIN.id} at 15:04:00 (Europe/Berlin)`,
    "Scheduled for 15:05:00 (Europe/Berlin)",
    `Published: https://x.com/i/web/status/${PUBLISHED}`,
    "",
    "<b>Timeline</b>",
    "15:00:00 (Europe/Berlin) 🔭 discovered via mention (@replyguy)",
    "15:01:00 (Europe/Berlin) 🚦 gatekeeper: score 0.8 — on topic &lt;yes&gt;",
    "15:02:00 (Europe/Berlin) ✍️ drafted reply #1 with gpt-4o-mini",
    `15:04:00 (Europe/Berlin) • approved by ${ADMIN.id}`,
    `15:09:00 (Europe/Berlin) ✅ published https://x.com/i/web/status/${PUBLISHED}`,
  ].join("\n");

  it("shows the whole timeline of a post by its id, escaped, times in the bot's time zone", async () => {
    const answer = await ask(`/trace ${POST}`);
    expect(answer.parseMode).toBe("HTML");
    expect(answer.text).toBe(TIMELINE);
  });

  it("takes an x.com or twitter.com status link, with a query string", async () => {
    expect((await ask(`/trace https://x.com/alice/status/${POST}?s=20&t=abc`)).text).toBe(TIMELINE);
    tg.reset();
    expect((await ask(`/trace https://mobile.twitter.com/alice/status/${POST}/photo/1`)).text).toBe(TIMELINE);
  });

  it("answers a bad argument with the forms it takes", async () => {
    for (const bad of ["/trace", "/trace abc", "/trace https://example.com/alice/status/1", `/trace https://x.com/alice/${POST}`]) {
      expect((await ask(bad)).text, bad).toBe(TRACE_USAGE);
      tg.reset();
    }
  });

  it("says so for an unknown post", async () => {
    expect((await ask("/trace 1800000000000000404")).text).toBe("No post 1800000000000000404 is known.");
  });

  it("is refused to a non-admin like every command", async () => {
    await tg.sendText({ from: STRANGER, text: `/trace ${POST}` });
    await tg.waitForBotMessage((m) => m.chatId === STRANGER.id && m.text === "Sorry, this bot is private.");
    expect(tg.botMessages().some((m) => m.text.includes("Trace of post"))).toBe(false);
  });

  it("keeps a long timeline within Telegram's limit and says how many steps it left off", () => {
    const timeline: PostTimeline = {
      post: { tweetId: POST, authorUsername: "alice", authorId: "42", text: "x".repeat(1000), source: "search", sourceDetail: "x", state: "drafted", skipReason: null, discoveredAt: at(0), accountLabel: "main" },
      reply: undefined,
      steps: Array.from({ length: 200 }, (_, i) => ({ kind: "event" as const, at: at(i % 60), event: "regenerated", actor: 1 })),
    };
    const text = renderTimeline(timeline, "UTC", at(0));
    expect(htmlTextLength(text)).toBeLessThanOrEqual(TELEGRAM_TEXT_MAX);
    expect(text).toMatch(/\n… \d+ more steps not shown$/);
  });
});
