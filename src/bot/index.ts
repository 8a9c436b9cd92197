import { conversations, type ConversationData, type VersionedStateStorage } from "@grammyjs/conversations";
import { sequentialize } from "@grammyjs/runner";
import { Bot, type Context, type Middleware } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Config } from "../config.js";
import type { TelegramActivity } from "../health/health-service.js";
import type { Logger } from "../logger.js";
import { classifyFailure } from "../resilience/failure.js";
import { installApiTransformers, telegramRetry } from "./api.js";
import type { BotContext } from "./context.js";
import { createAccountsFeature } from "./features/accounts.js";
import { createAlertsFeature } from "./features/alerts.js";
import { createBreakerFeature } from "./features/breakers.js";
import { createBulkFeature } from "./features/bulk.js";
import { createDlqFeature } from "./features/dlq.js";
import { createHealthFeature } from "./features/health.js";
import { createHelpFeature } from "./features/help.js";
import { createPauseFeature } from "./features/pause.js";
import { createQueueFeature } from "./features/queue.js";
import { createReviewFeature } from "./features/review.js";
import type { FeatureFactory, FeatureServices } from "./features/services.js";
import { createSettingsFeature } from "./features/settings.js";
import { createStatsFeature } from "./features/stats.js";
import { createTraceFeature } from "./features/trace.js";
import { createUnhandledFeature } from "./features/unhandled.js";
import { createWatchlistFeature } from "./features/watchlist.js";
import { createAdminGuard } from "./middlewares/admin-guard.js";
import { createDatabaseGate, DATABASE_DOWN_TEXT } from "./middlewares/database-gate.js";

/**
 * Every feature of the bot, in mounting order: reading this list tells you the whole bot. The
 * review feature holds the Edit conversation, so it comes before any other button; unhandled
 * comes last and answers whatever no feature took (so every button press is answered).
 */
export const FEATURES = [
  createHelpFeature,
  createHealthFeature,
  createBreakerFeature,
  createReviewFeature,
  createQueueFeature,
  createBulkFeature,
  createDlqFeature,
  createStatsFeature,
  createTraceFeature,
  createWatchlistFeature,
  createPauseFeature,
  createSettingsFeature,
  createAlertsFeature,
  createAccountsFeature,
  createUnhandledFeature,
] as const satisfies readonly FeatureFactory[];

/** What the bot's middleware stack needs, whichever features it carries. */
export interface BotStackDependencies {
  readonly config: Config;
  readonly logger: Logger;
  readonly telegramActivity: TelegramActivity;
  /** Where conversation state is kept (the database, so an edit survives a restart). */
  readonly conversationStorage: VersionedStateStorage<string, ConversationData>;
  /** True while the database breaker is open (handlers then answer "database unavailable"). */
  readonly isDatabaseDown?: () => boolean;
  /** Called for every update (the metrics counter). */
  readonly onUpdate?: () => void;
  /** Called for every update the admin guard refuses (the strangers counter). */
  readonly onRefused?: () => void;
  /** A fixed bot identity (tests) so no getMe call is made. */
  readonly botInfo?: UserFromGetMe;
}

/** Everything the bot needs from the rest of the application. */
export interface BotDependencies extends BotStackDependencies {
  /** The workflow services the features call. */
  readonly services: FeatureServices;
}

/**
 * The key that orders updates: one chat's updates run one after another (and a conversation's
 * storage is keyed the same way), different chats run concurrently.
 */
export function updateOrderKey(ctx: Context): string | undefined {
  return ctx.chat?.id.toString() ?? ctx.from?.id.toString();
}

/** Builds the bot with every feature of {@link FEATURES}; starts nothing. */
export function createBot(deps: BotDependencies): Bot<BotContext> {
  return createBotStack(
    deps,
    FEATURES.map((create) => create(deps.services)),
  );
}

/**
 * Builds the middleware stack (context, ordering, error boundary, admin guard, database gate,
 * conversations) with `features` mounted behind it in order; starts nothing. Tests use it to run
 * one feature on the real stack.
 */
export function createBotStack(deps: BotStackDependencies, features: readonly Middleware<BotContext>[]): Bot<BotContext> {
  const { config, logger } = deps;
  const bot = new Bot<BotContext>(config.telegram.token, {
    botInfo: deps.botInfo,
    client: { apiRoot: config.telegram.apiRoot },
  });
  installApiTransformers(bot.api, deps.telegramActivity);

  bot.use(async (ctx, next) => {
    Object.assign(ctx, { config, logger: logger.child({ update_id: ctx.update.update_id }) });
    deps.onUpdate?.();
    await next();
  });
  bot.use(sequentialize(updateOrderKey));

  const guarded = bot.errorBoundary(async (error) => {
    const { ctx } = error;
    if (classifyFailure(error.error).reason !== "database_unavailable") {
      ctx.logger.error({ err: error.error }, "update handling failed");
      return;
    }
    ctx.logger.warn({ err: error.error }, "database unavailable while handling an update");
    await (ctx.callbackQuery ? ctx.answerCallbackQuery({ text: DATABASE_DOWN_TEXT }) : ctx.reply(DATABASE_DOWN_TEXT)).catch(
      () => undefined,
    );
  });
  guarded.use(createAdminGuard({ onRefused: deps.onRefused }));
  guarded.use(createDatabaseGate(deps.isDatabaseDown ?? (() => false)));
  guarded.use(
    conversations<BotContext, Context>({
      storage: { type: "key", adapter: deps.conversationStorage, getStorageKey: updateOrderKey },
      // A conversation's own API object does not inherit bot.api's transformers: install them again.
      plugins: [
        async (ctx, next) => {
          ctx.api.config.use(telegramRetry());
          await next();
        },
      ],
    }),
  );
  for (const feature of features) guarded.use(feature);

  bot.catch((error) => {
    logger.error({ err: error.error, update_id: error.ctx.update.update_id }, "unhandled bot error");
  });
  return bot;
}
