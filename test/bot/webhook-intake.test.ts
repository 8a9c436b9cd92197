/**
 * The webhook intake on a real grammY bot and a PGlite ledger: what Telegram is told (taken or deliver again) when
 * the handler is slow, throws, or the ledger fails, and that a stopping replica takes nothing new.
 */
import { Bot } from "grammy";
import type { Update } from "grammy/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWebhookIntake } from "../../src/bot/webhook/intake.js";
import type { BotContext } from "../../src/bot/context.js";
import { telegramUpdates } from "../../src/db/schema.js";
import { localUpdateLedger, type UpdateLedger } from "../../src/db/update-ledger.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { BOT_INFO } from "../support/telegram-emulator/index.js";

const update = (id: number, chatId = 7): Update =>
  ({ update_id: id, message: { message_id: id, date: 0, chat: { id: chatId, type: "private", first_name: "A" }, text: "hi" } }) as Update;

describe("webhook intake", () => {
  let database: TestDatabase;
  let handled: number[];
  let bot: Bot<BotContext>;

  beforeEach(async () => {
    database = await createPgliteTestDatabase();
    handled = [];
    bot = new Bot<BotContext>("123456:ABC-def_ghi", { botInfo: BOT_INFO });
  });
  afterEach(async () => {
    await database.dispose();
  });

  const ids = async () => (await database.handle.db.select().from(telegramUpdates)).map((row) => row.updateId);

  it("answers after the handler timeout while the handler goes on; the id is recorded once it is done", async () => {
    let release = () => undefined as void;
    bot.use(async (ctx) => {
      await new Promise<void>((resolve) => (release = resolve));
      handled.push(ctx.update.update_id);
    });
    const intake = createWebhookIntake({ bot, ledger: localUpdateLedger(database.handle.db), logger: silentLogger(), handlerTimeoutMs: 50 });
    expect(await intake.receive(update(1))).toBe(true);
    expect(handled).toEqual([]);
    expect(await ids()).toEqual([]);
    release();
    await intake.stop(Date.now() + 2_000);
    expect(handled).toEqual([1]);
    expect(await ids()).toEqual([1]);
  });

  it("a handler that throws still counts as handled (200), so Telegram does not redeliver it for a day", async () => {
    bot.use((ctx) => {
      handled.push(ctx.update.update_id);
      throw new Error("bug in a feature");
    });
    const intake = createWebhookIntake({ bot, ledger: localUpdateLedger(database.handle.db), logger: silentLogger() });
    expect(await intake.receive(update(2))).toBe(true);
    expect(await intake.receive(update(2))).toBe(true);
    expect(handled).toEqual([2]);
    expect(await ids()).toEqual([2]);
  });

  it("a ledger that fails before the handler asks Telegram to deliver again; after it, the update counts as taken", async () => {
    bot.use((ctx) => {
      handled.push(ctx.update.update_id);
    });
    const broken: UpdateLedger = {
      once: () => Promise.reject(new Error("database unreachable")),
      prune: () => Promise.resolve(0),
      close: () => Promise.resolve(),
    };
    expect(await createWebhookIntake({ bot, ledger: broken, logger: silentLogger() }).receive(update(3))).toBe(false);
    expect(handled).toEqual([]);
    const commitFails: UpdateLedger = {
      once: async (_id, _key, handle) => {
        await handle();
        throw new Error("connection lost at commit");
      },
      prune: () => Promise.resolve(0),
      close: () => Promise.resolve(),
    };
    expect(await createWebhookIntake({ bot, ledger: commitFails, logger: silentLogger() }).receive(update(4))).toBe(true);
    expect(handled).toEqual([4]);
  });

  it("a stopping intake takes nothing new: Telegram delivers it again elsewhere", async () => {
    bot.use((ctx) => {
      handled.push(ctx.update.update_id);
    });
    const intake = createWebhookIntake({ bot, ledger: localUpdateLedger(database.handle.db), logger: silentLogger() });
    await intake.stop(Date.now() + 1_000);
    expect(await intake.receive(update(5))).toBe(false);
    expect(handled).toEqual([]);
  });

  it("prunes at most once an hour", async () => {
    bot.use(() => undefined);
    let prunes = 0;
    const ledger = localUpdateLedger(database.handle.db);
    let clock = 0;
    const counting: UpdateLedger = { ...ledger, prune: () => ledger.prune().then((n) => (prunes++, n)) };
    const intake = createWebhookIntake({ bot, ledger: counting, logger: silentLogger(), now: () => clock });
    await intake.receive(update(10));
    await intake.receive(update(11));
    clock += 59 * 60_000;
    await intake.receive(update(12));
    clock += 60_000;
    await intake.receive(update(13));
    await intake.stop(Date.now() + 1_000);
    expect(prunes).toBe(2);
  });
});
