import type { MiddlewareFn } from "grammy";
import type { BotContext } from "../context.js";
import { isAdminUpdate } from "../filters/is-admin.js";
import { RefusalLimiter } from "./refusal-limiter.js";

/** The one short answer strangers get (and only to things addressed at the bot). */
export const REFUSAL_TEXT = "Sorry, this bot is private.";

/** What the admin guard reports and how often it refuses aloud. */
export interface AdminGuardOptions {
  /** Called once per refused update (the metrics counter). */
  readonly onRefused?: () => void;
  /** Who was refused aloud lately; a fresh one (once per hour per stranger) by default. */
  readonly limiter?: RefusalLimiter;
}

/**
 * Stops every update that does not come from an admin, before anything that reads or writes the database.
 * Strangers cost nothing: a debug line, a counter, and at most one refusal text per stranger per hour. Their
 * button presses are still answered each time (Telegram shows a spinner until they are), empty after the first;
 * their commands in a private chat get the refusal; anything else is dropped silently so the bot cannot spam a group.
 */
export function createAdminGuard(options: AdminGuardOptions = {}): MiddlewareFn<BotContext> {
  const limiter = options.limiter ?? new RefusalLimiter();
  return async (ctx, next) => {
    if (isAdminUpdate(ctx, ctx.config)) {
      await next();
      return;
    }
    ctx.logger.debug({ from: ctx.from?.id, chat: ctx.chat?.id }, "refused update from a non-admin");
    options.onRefused?.();
    if (ctx.callbackQuery) {
      const refuseAloud = limiter.tryRefuse(ctx.callbackQuery.from.id);
      await ctx.answerCallbackQuery(refuseAloud ? { text: REFUSAL_TEXT } : {});
    } else if (ctx.chat?.type === "private" && ctx.msg?.text?.startsWith("/")) {
      // A private chat's id is the id of the user in it.
      if (limiter.tryRefuse(ctx.chat.id)) await ctx.reply(REFUSAL_TEXT);
    }
  };
}
