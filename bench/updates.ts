import { PGlite } from "@electric-sql/pglite";
import type { Update } from "grammy/types";
import { loadConfig } from "../src/config.js";
import { createBotStack } from "../src/bot/index.js";
import { createConversationStorage } from "../src/bot/conversations/storage.js";
import { createHelpFeature } from "../src/bot/features/help.js";
import { createQueueFeature } from "../src/bot/features/queue.js";
import { createUnhandledFeature } from "../src/bot/features/unhandled.js";
import { TelegramActivity } from "../src/health/health-service.js";
import { pgliteHandle } from "../src/db/pglite.js";
import { createLogger } from "../src/logger.js";
import { createQueueView } from "../src/workflow/queue-view.js";
import { BOT_INFO } from "../test/support/telegram-emulator/index.js";

const ADMIN_ID = 1001;

function commandUpdate(updateId: number, chatId: number, text: string): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: "Ada" },
      from: { id: chatId, is_bot: false, first_name: "Ada" },
      text,
      entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }],
    },
  };
}

/**
 * Updates per second through the whole middleware stack (context, sequentialize, admin guard,
 * conversations with database storage, a command handler) with an in-process fake Bot API client:
 * admins' /help (no DB in the handler), admins' /queue (two DB queries), strangers' commands (refused).
 */
export async function benchUpdates(): Promise<void> {
  const client = await PGlite.create();
  const database = pgliteHandle(client);
  await database.migrate();
  const adminIds = Array.from({ length: 50 }, (_, i) => ADMIN_ID + i);
  const config = loadConfig({
    TELEGRAM_BOT_TOKEN: "1:bench",
    ADMIN_CHAT_ID: String(ADMIN_ID),
    ADMIN_USER_IDS: adminIds.join(","),
  });
  const telegramActivity = new TelegramActivity();
  const bot = createBotStack(
    {
      config,
      logger: createLogger({ level: "silent", secrets: [] }),
      telegramActivity,
      botInfo: BOT_INFO,
      conversationStorage: createConversationStorage(database.db),
    },
    [createHelpFeature(), createQueueFeature({ queue: createQueueView(database.db) }), createUnhandledFeature()],
  );
  let calls = 0;
  bot.api.config.use((_prev, method, payload) => {
    calls++;
    const chatId = "chat_id" in payload ? Number(payload.chat_id) : 0;
    const result = { message_id: calls, date: 0, chat: { id: chatId, type: "private" }, text: "ok" };
    return Promise.resolve({ ok: true as const, result: method === "sendMessage" ? result : true } as never);
  });

  let updateId = 1;
  const run = async (label: string, count: number, make: (i: number) => Update) => {
    const concurrency = 100;
    const started = performance.now();
    for (let offset = 0; offset < count; offset += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, count - offset) }, (_, i) => make(offset + i));
      await Promise.all(batch.map((update) => bot.handleUpdate(update)));
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`${label}: ${Math.round(count / seconds)} updates/s (${count} updates, 50 chats, ${concurrency} in flight)`);
  };
  await run("warm-up /help", 500, (i) => commandUpdate(updateId++, adminIds[i % 50]!, "/help"));
  await run("admin /help", 5_000, (i) => commandUpdate(updateId++, adminIds[i % 50]!, "/help"));
  await run("admin /queue (DB)", 2_000, (i) => commandUpdate(updateId++, adminIds[i % 50]!, "/queue"));
  await run("stranger refused", 5_000, (i) => commandUpdate(updateId++, 900_000 + (i % 50), "/help"));
  await database.close();
}
