import { GrammyError, type Bot } from "grammy";
import type { Logger } from "../../logger.js";
import { exponentialBackoffMs } from "../../resilience/backoff.js";
import { settleBy } from "../../resilience/deadline.js";
import { BOT_COMMANDS } from "../commands.js";
import type { BotContext } from "../context.js";
import { ALLOWED_UPDATES, BotTokenRejectedError } from "../polling.js";

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/** Where Telegram posts updates and the secret it sends back with each. */
export interface WebhookTarget {
  readonly url: string;
  readonly secret: string;
}

/** The leader's "polling switch" in webhook mode: it makes sure the webhook is set, and polls nothing. */
export interface WebhookSwitch {
  start(): void;
  stop(deadline: number): Promise<void>;
  /** True once this term's setWebhook succeeded (what `/ready` and `/health` show as taking updates). */
  isPolling(): boolean;
}

/**
 * Sets the webhook (with its secret, the update kinds the bot handles, keeping the pending updates) and the command
 * menu when this replica becomes leader, retrying with backoff until Telegram agrees; a rejected token is fatal.
 * Stepping down leaves the webhook set: every replica takes its updates, and the next leader sets it again.
 */
export function createWebhookSwitch(bot: Bot<BotContext>, logger: Logger, target: WebhookTarget, onFatal: (error: Error) => void): WebhookSwitch {
  let term: { stopped: boolean; wake: () => void; done: Promise<void> } | undefined;
  let set = false;

  async function ensure(current: NonNullable<typeof term>): Promise<void> {
    for (let failures = 1; !current.stopped; failures++) {
      const delay = exponentialBackoffMs(failures, FIRST_RETRY_MS, MAX_RETRY_MS);
      try {
        await bot.api.setWebhook(target.url, { secret_token: target.secret, allowed_updates: [...ALLOWED_UPDATES], drop_pending_updates: false });
        set = true;
        logger.info("Telegram webhook set; taking updates by webhook");
        break;
      } catch (error) {
        if (error instanceof GrammyError && error.error_code === 401) throw new BotTokenRejectedError();
        logger.warn({ err: error, retryInMs: delay }, "setWebhook failed; retrying");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        current.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (current.stopped) return;
    await bot.api.setMyCommands(BOT_COMMANDS).catch((error: unknown) => {
      logger.warn({ err: error }, "setMyCommands failed; the command menu may be stale");
    });
  }

  return {
    start() {
      const current = { stopped: false, wake: () => undefined, done: Promise.resolve() };
      current.done = ensure(current).catch((error: unknown) => onFatal(error instanceof Error ? error : new Error(String(error))));
      term = current;
    },
    async stop(deadline) {
      const current = term;
      term = undefined;
      set = false;
      if (!current) return;
      current.stopped = true;
      current.wake();
      await settleBy(current.done, deadline);
    },
    isPolling: () => set,
  };
}
