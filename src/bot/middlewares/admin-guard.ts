import type { MiddlewareFn } from "grammy";
import type { BotContext } from "../context.js";
import { isAdminUpdate } from "../filters/is-admin.js";

/** The one short answer strangers get (and only to things addressed at the bot). */
export const REFUSAL_TEXT = "Sorry, this bot is private.";

/**
 * Stops every update that does not come from an admin. Strangers' button presses are answered
 * (Telegram shows a spinner until they are) and their commands in a private chat get one short
 * refusal; anything else is dropped silently so the bot cannot be used to spam a group.
 */
export function createAdminGuard(): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    if (isAdminUpdate(ctx, ctx.config)) {
      await next();
      return;
    }
    ctx.logger.info({ from: ctx.from?.id, chat: ctx.chat?.id }, "refused update from a non-admin");
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({ text: REFUSAL_TEXT });
    } else if (ctx.chat?.type === "private" && ctx.msg?.text?.startsWith("/")) {
      await ctx.reply(REFUSAL_TEXT);
    }
  };
}
