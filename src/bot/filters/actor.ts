import type { CallbackQuery } from "grammy/types";
import type { Context } from "grammy";

/**
 * Who acted: the Telegram user id of the admin behind the update. An anonymous group admin resolves to `null`: their
 * message carries `sender_chat` (the admin guard admits them as the admin chat) and its `from` is the shared
 * placeholder bot, so there is no person to name. A button press always names the person who pressed it.
 */
export function actorOf(ctx: Context & { callbackQuery: CallbackQuery }): number;
/** @inheritDoc */
export function actorOf(ctx: Context): number | null;
export function actorOf(ctx: Context): number | null {
  if (ctx.callbackQuery !== undefined) return ctx.callbackQuery.from.id;
  if (ctx.msg?.sender_chat !== undefined) return null;
  return ctx.from?.id ?? null;
}
