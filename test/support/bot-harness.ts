import { run, type RunnerHandle } from "@grammyjs/runner";
import type { Bot, Middleware } from "grammy";
import { loadConfig, type Config } from "../../src/config.js";
import type { BotContext } from "../../src/bot/context.js";
import { createBotStack } from "../../src/bot/index.js";
import { createUnhandledFeature } from "../../src/bot/features/unhandled.js";
import { createConversationStorage } from "../../src/bot/conversations/storage.js";
import { TelegramActivity } from "../../src/health/health-service.js";
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

/** Starts the full middleware stack with `features` mounted (then unhandled, as in the bot), for testing one feature in isolation. */
export function startFeatureBot(
  tg: TelegramEmulator,
  database: DatabaseHandle,
  features: readonly Middleware<BotContext>[],
  env: Record<string, string> = {},
): FeatureBot {
  const config = loadConfig(testEnvironment(tg, env));
  const bot = createBotStack(
    {
      config,
      logger: silentLogger(),
      telegramActivity: new TelegramActivity(),
      botInfo: tg.botInfo,
      conversationStorage: createConversationStorage(database.db),
    },
    [...features, createUnhandledFeature()],
  );
  const handle: RunnerHandle = run(bot, EMULATOR_RUNNER_OPTIONS);
  return {
    bot,
    config,
    async stop() {
      await handle.stop();
    },
  };
}
