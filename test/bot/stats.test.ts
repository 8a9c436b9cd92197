import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStatsFeature } from "../../src/bot/features/stats.js";
import { posts, xAccounts } from "../../src/db/schema.js";
import { createStatsView, recordEvent, type WorkflowEventKind } from "../../src/workflow/stats.js";
import { ADMIN } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

describe("/stats", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let bot: FeatureBot;
  const now = new Date("2025-03-10T15:00:00Z"); // 11:00 on Monday 10 March in New York

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    bot = startFeatureBot(tg, database.handle, [createStatsFeature({ stats: createStatsView(database.handle.db), now: () => now })], {
      BOT_TIMEZONE: "America/New_York",
    });
    const events: [WorkflowEventKind, string][] = [
      ["discovered", "2025-03-10T04:00:00Z"], // 00:00 today in New York
      ["discovered", "2025-03-10T03:59:59Z"], // yesterday
      ["discovered", "2025-03-06T12:00:00Z"],
      ["drafted", "2025-03-10T12:00:00Z"],
      ["published", "2025-03-05T12:00:00Z"],
      ["failed", "2025-03-01T12:00:00Z"], // more than 7 days ago
      ["expired", "2025-03-10T12:00:00Z"], // not shown
    ];
    for (const [kind, at] of events) await recordEvent(database.handle.db, { kind, at: new Date(at) });
  });
  afterAll(async () => {
    await bot.stop();
    await tg.close();
    await database.dispose();
  });

  it("shows today's and the last 7 days' counts with the dates in the bot's time zone", async () => {
    await tg.sendText({ from: ADMIN, text: "/stats" });
    const reply = await tg.waitForBotMessage((m) => m.chatId === ADMIN.id);
    expect(reply.parseMode).toBe("HTML");
    expect(reply.text).toBe(
      [
        "📊 <b>Stats</b>",
        "<pre>            Today  7 days",
        "discovered      1       3",
        "drafted         1       1",
        "approved        0       0",
        "rejected        0       0",
        "published       0       1",
        "failed          0       0</pre>",
        "Today = Mon 10 Mar; 7 days = Tue 4 Mar – Mon 10 Mar (America/New_York)",
      ].join("\n"),
    );
  });

  it("shows skipped posts by reason when there are any, an unknown stored reason as other", async () => {
    const db = database.handle.db;
    const [account] = await db.insert(xAccounts).values({ label: "main" }).returning({ id: xAccounts.id });
    const skipped: [string, string, string][] = [
      ["1", "author_cap", "2025-03-10T12:00:00Z"],
      ["2", "author_cap", "2025-03-10T13:00:00Z"],
      ["3", "draft_refused", "2025-03-07T12:00:00Z"],
      ["4", "made_up_by_an_old_build", "2025-03-08T12:00:00Z"],
      ["5", "day_cap", "2025-03-01T12:00:00Z"], // more than 7 days ago
    ];
    for (const [tweetId, reason, at] of skipped) {
      await db.insert(posts).values({
        tweetId,
        authorId: "42",
        text: "hi",
        source: "mention",
        sourceDetail: "@replyguy",
        accountId: account!.id,
        answerable: true,
        state: "skipped",
        skipReason: reason,
      });
      await recordEvent(db, { kind: "skipped", postTweetId: tweetId, at: new Date(at) });
    }

    await tg.sendText({ from: ADMIN, text: "/stats" });
    const reply = await tg.waitForBotMessage((m) => m.chatId === ADMIN.id && m.text.includes("Skipped"));
    expect(reply.text).toContain(
      [
        "Skipped posts by reason:",
        "<pre>skipped        Today  7 days",
        "author_cap         2       2",
        "draft_refused      0       1",
        "other              0       1</pre>",
      ].join("\n"),
    );
    expect(reply.text).not.toContain("day_cap");
  });
});
