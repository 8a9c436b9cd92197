import type { RunOptions } from "@grammyjs/runner";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import type { Config } from "./config.js";
import type { BotContext } from "./bot/context.js";
import { createWebhookIntake } from "./bot/webhook/intake.js";
import { createWebhookSwitch } from "./bot/webhook/webhook-switch.js";
import type { DatabaseHandle } from "./db/database.js";
import { localUpdateLedger, postgresUpdateLedger } from "./db/update-ledger.js";
import type { HttpServer } from "./http/server.js";
import { registerWebhookRoutes } from "./http/webhook-routes.js";
import type { PollingSwitch } from "./lifecycle/leader-duties.js";
import type { Logger } from "./logger.js";
import { createPollingSwitch } from "./replica.js";

/** How Telegram updates come in, as BOT_MODE says. */
export interface UpdateIntake {
  /** What the leader switches on and off: long polling, or making sure the webhook is set. */
  readonly leaderSwitch: PollingSwitch & { isPolling(): boolean };
  /** Adds the webhook route to the HTTP server (webhook mode; nothing in polling mode). */
  registerRoutes(http: HttpServer): void;
  /** Stops taking webhook updates and drains those in flight until `deadline` (epoch ms). */
  stop(deadline: number): Promise<void>;
}

/**
 * Polling mode: only the leader long-polls (and deletes any webhook first). Webhook mode: the leader sets the
 * webhook, and every replica takes the updates Telegram posts, once each across replicas (a `telegram_updates` row
 * per update id) and one chat at a time (an advisory lock per chat on PostgreSQL, an in-memory queue per chat for a
 * single process).
 */
export function createUpdateIntake(deps: {
  readonly config: Config;
  readonly bot: Bot<BotContext>;
  readonly database: DatabaseHandle;
  readonly logger: Logger;
  readonly runnerOptions: RunOptions<Update>;
  readonly onFatal: (error: Error) => void;
}): UpdateIntake {
  const { config, bot, logger } = deps;
  const mode = config.botMode;
  if (mode.mode === "polling") {
    return {
      leaderSwitch: createPollingSwitch(bot, logger, deps.runnerOptions, deps.onFatal),
      registerRoutes: () => undefined,
      stop: () => Promise.resolve(),
    };
  }
  const url = config.database.url;
  const ledger = url === undefined ? localUpdateLedger(deps.database.db) : postgresUpdateLedger(url);
  const intake = createWebhookIntake({ bot, ledger, logger });
  return {
    leaderSwitch: createWebhookSwitch(bot, logger, mode, deps.onFatal),
    registerRoutes: (http) => registerWebhookRoutes(http, { path: mode.path, secret: mode.secret, receive: (update) => intake.receive(update) }),
    stop: (deadline) => intake.stop(deadline),
  };
}
