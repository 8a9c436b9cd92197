import type { MiddlewareFn } from "grammy";
import type { BotContext } from "../context.js";

/** What admins read while the database is unreachable. */
export const DATABASE_DOWN_TEXT = "Database unavailable, retrying — try again in a minute.";

/** Commands that still work without the database. */
const WORKS_WITHOUT_DATABASE = new Set(["/health", "/help", "/start"]);

/**
 * While the database breaker is open, answers at once instead of letting every handler time out
 * on a dead connection: button presses get the notice as their answer, commands as a reply.
 * /health, /help and /start still run (the health report says the database is down).
 */
export function createDatabaseGate(isDatabaseDown: () => boolean): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    if (!isDatabaseDown()) return next();
    const command = ctx.msg?.text?.split(/[\s@]/)[0];
    if (command && WORKS_WITHOUT_DATABASE.has(command)) return next();
    if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: DATABASE_DOWN_TEXT });
    else if (ctx.msg?.text) await ctx.reply(DATABASE_DOWN_TEXT);
  };
}
