import { run, type RunnerHandle } from "@grammyjs/runner";
import type { Bot, Middleware } from "grammy";
import { loadConfig, type Config } from "../../src/config.js";
import type { BotContext } from "../../src/bot/context.js";
import { createBot } from "../../src/bot/index.js";
import { createConversationStorage } from "../../src/bot/conversations/storage.js";
import { createHealthService, TelegramActivity } from "../../src/health/health-service.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { testEnvironment } from "./app-harness.js";
import { silentLogger } from "./logger.js";
import { EMULATOR_RUNNER_OPTIONS, type TelegramEmulator } from "./telegram-emulator/index.js";

/** A real bot (admin guard, error boundary, …) with only the given features, polling the emulator. */
export interface FeatureBot {
  readonly bot: Bot<BotContext>;
  readonly config: Config;
  stop(): Promise<void>;
}

/** Starts the full middleware stack with `features` mounted, for testing one feature in isolation. */
export function startFeatureBot(
  tg: TelegramEmulator,
  database: DatabaseHandle,
  features: readonly Middleware<BotContext>[],
  env: Record<string, string> = {},
): FeatureBot {
  const config = loadConfig(testEnvironment(tg, env));
  const telegramActivity = new TelegramActivity();
  const health = createHealthService({ database, telegram: telegramActivity, version: "test", startedAt: new Date() });
  const bot = createBot({
    config,
    logger: silentLogger(),
    health,
    telegramActivity,
    botInfo: tg.botInfo,
    features,
    conversationStorage: createConversationStorage(database.db),
  });
  const handle: RunnerHandle = run(bot, EMULATOR_RUNNER_OPTIONS);
  return {
    bot,
    config,
    async stop() {
      await handle.stop();
    },
  };
}
