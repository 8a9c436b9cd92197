import { autoRetry } from "@grammyjs/auto-retry";
import { conversations, type ConversationData, type VersionedStateStorage } from "@grammyjs/conversations";
import { sequentialize } from "@grammyjs/runner";
import { Bot, type Context, type Middleware } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Config } from "../config.js";
import type { HealthService, TelegramActivity } from "../health/health-service.js";
import type { Logger } from "../logger.js";
import type { BotContext } from "./context.js";
import { createHealthFeature } from "./features/health.js";
import { helpFeature } from "./features/help.js";
import { unhandledFeature } from "./features/unhandled.js";
import { createAdminGuard } from "./middlewares/admin-guard.js";
import { createDatabaseGate, DATABASE_DOWN_TEXT } from "./middlewares/database-gate.js";
import { classifyFailure } from "../resilience/failure.js";
import type { ResilienceRegistry } from "../resilience/registry.js";

/** Everything the bot's handlers need from the rest of the application. */
export interface BotDependencies {
  readonly config: Config;
  readonly logger: Logger;
  readonly health: HealthService;
  readonly telegramActivity: TelegramActivity;
  /** The product's features (commands, buttons, conversations), mounted after the core ones. */
  readonly features: readonly Middleware<BotContext>[];
  /** Where conversation state is kept (the database, so an edit survives a restart). */
  readonly conversationStorage: VersionedStateStorage<string, ConversationData>;
  /** True while the database breaker is open (handlers then answer "database unavailable"). */
  readonly isDatabaseDown?: () => boolean;
  /** The breakers /health shows reset buttons for. */
  readonly registry?: ResilienceRegistry;
  /** Called for every update (the metrics counter). */
  readonly onUpdate?: () => void;
  /** A fixed bot identity (tests) so no getMe call is made. */
  readonly botInfo?: UserFromGetMe;
}

/**
 * The key that orders updates: one chat's updates run one after another (and a conversation's
 * storage is keyed the same way), different chats run concurrently.
 */
export function updateOrderKey(ctx: Context): string | undefined {
  return ctx.chat?.id.toString() ?? ctx.from?.id.toString();
}

/** Bounded retries of Bot API calls (429 within 30 s, 5xx); network errors surface at once. */
function telegramRetry() {
  return autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: true });
}

/** Builds the bot with its middleware stack; starts nothing. */
export function createBot(deps: BotDependencies): Bot<BotContext> {
  const { config, logger } = deps;
  const bot = new Bot<BotContext>(config.telegram.token, {
    botInfo: deps.botInfo,
    client: { apiRoot: config.telegram.apiRoot },
  });

  bot.api.config.use(telegramRetry());
  bot.api.config.use(async (prev, method, payload, signal) => {
    const result = await prev(method, payload, signal);
    if (result.ok) deps.telegramActivity.markSuccess();
    return result;
  });

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
  guarded.use(createAdminGuard());
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
  guarded.use(helpFeature);
  guarded.use(createHealthFeature(deps.health, deps.registry));
  for (const feature of deps.features) guarded.use(feature);
  guarded.use(unhandledFeature);

  bot.catch((error) => {
    logger.error({ err: error.error, update_id: error.ctx.update.update_id }, "unhandled bot error");
  });
  return bot;
}
