import { Context, type Bot } from "grammy";
import type { Update } from "grammy/types";
import type { UpdateLedger } from "../../db/update-ledger.js";
import type { Logger } from "../../logger.js";
import { settleBy } from "../../resilience/deadline.js";
import type { BotContext } from "../context.js";
import { updateOrderKey } from "../index.js";

/** How long Telegram waits for our answer before we answer anyway (grammY's webhookCallback waits as long). */
export const WEBHOOK_HANDLER_TIMEOUT_MS = 10_000;
/** How often (at most) a replica forgets the update ids older than Telegram keeps updates. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** The order key of updates without chat or sender (all of them queue together). */
const NO_CHAT_KEY = "-";

/** An update as the webhook route validated it: an object with a whole `update_id`. */
export interface IncomingUpdate {
  readonly update_id: number;
}

/** What {@link createWebhookIntake} needs. */
export interface WebhookIntakeDeps {
  readonly bot: Bot<BotContext>;
  readonly ledger: UpdateLedger;
  readonly logger: Logger;
  /** Test seam: how long to wait for the handler before answering. */
  readonly handlerTimeoutMs?: number;
  /** Test seam: the clock that spaces the prunes. */
  readonly now?: () => number;
}

/** Takes the updates Telegram posts to the webhook, on any replica. */
export interface WebhookIntake {
  /**
   * Handles one update (once across replicas, one at a time per chat). Resolves true when Telegram may forget it
   * (answer 200), false when it should deliver it again (answer 503: nothing was handled).
   */
  receive(update: IncomingUpdate): Promise<boolean>;
  /** Refuses new updates, waits (until `deadline`, epoch ms) for those in flight and closes the ledger. */
  stop(deadline: number): Promise<void>;
}

/**
 * The webhook's side of update handling. Decisions (ARCHITECTURE.md, "Replicas"):
 * - answered 200 once the handler is done, or after {@link WEBHOOK_HANDLER_TIMEOUT_MS} while it goes on (the chat
 *   lock and the uncommitted update id stay with it), so Telegram neither times out nor delivers it again;
 * - an error out of the handler is logged and the update counts as handled (200): the error boundary already
 *   answered the admin, and a redelivery would most likely fail the same way, over and over for 24 h;
 * - nothing handled (the database did not answer, the bot could not init, shutting down) answers 503, and
 *   Telegram delivers the update again later, to whichever replica;
 * - a process that dies mid-handling never commits the update id, so the redelivery is handled.
 */
export function createWebhookIntake(deps: WebhookIntakeDeps): WebhookIntake {
  const { bot, ledger, logger } = deps;
  const timeoutMs = deps.handlerTimeoutMs ?? WEBHOOK_HANDLER_TIMEOUT_MS;
  const now = deps.now ?? Date.now;
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  let initialising: Promise<void> | undefined;
  let prunedAt: number | undefined;

  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };

  // Every replica takes updates, so every replica needs the bot's identity (getMe), once.
  const ensureInit = (): Promise<void> => {
    if (bot.isInited()) return Promise.resolve();
    initialising ??= bot.init().catch((error: unknown) => {
      initialising = undefined;
      throw error;
    });
    return initialising;
  };

  const pruneNowAndThen = () => {
    if (prunedAt !== undefined && now() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now();
    void track(ledger.prune()).then(
      (pruned) => logger.debug({ pruned }, "old Telegram update ids pruned"),
      (error: unknown) => logger.warn({ err: error }, "could not prune old Telegram update ids; the next hour retries"),
    );
  };

  async function take(update: Update, log: Logger): Promise<boolean> {
    const key = updateOrderKey(new Context(update, bot.api, bot.botInfo)) ?? NO_CHAT_KEY;
    let started = false;
    const handle = async () => {
      started = true;
      try {
        await bot.handleUpdate(update);
      } catch (error) {
        log.error({ err: error }, "webhook update handling failed; answered 200 so Telegram does not redeliver it");
      }
    };
    const work = track(ledger.once(update.update_id, key, handle)).then(
      (outcome) => {
        if (outcome === "duplicate") log.debug("webhook update delivered again; already handled");
        else pruneNowAndThen();
        return true;
      },
      (error: unknown) => {
        // Failed before the handler: nothing happened, Telegram may retry. After it: the update was handled.
        log.warn({ err: error, handled: started }, "webhook update ledger failed");
        return started;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        log.warn({ timeoutMs }, "webhook update still being handled; answered Telegram meanwhile");
        resolve(true);
      }, timeoutMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async receive(incoming) {
      const log = logger.child({ update_id: incoming.update_id });
      if (stopping) return false;
      try {
        await ensureInit();
      } catch (error) {
        log.warn({ err: error }, "bot not initialised (getMe failed); Telegram will deliver the update again");
        return false;
      }
      // The route checked the shape (an object with a whole update_id and a payload); grammY ignores unknown kinds.
      return take(incoming, log);
    },
    async stop(deadline) {
      stopping = true;
      const drained = await settleBy(Promise.allSettled([...inFlight]), deadline);
      if (!drained) logger.warn({ inFlight: inFlight.size }, "shutdown deadline hit with webhook updates in flight");
      await ledger.close();
    },
  };
}
