import type { Context } from "grammy";
import { ANONYMOUS_ADMIN_BOT_ID } from "../../config.js";

/** Who may use the bot: the configured admin users, and anonymous admins of the admin chat. */
export interface AdminPolicy {
  readonly adminChatId: number;
  readonly adminUserIds: readonly number[];
}

/**
 * True when the update comes from an admin. A message sent on behalf of a chat (anonymous group
 * admin, linked channel) carries `sender_chat`: it is trusted only when that chat is the admin
 * chat itself, whatever `from` says, since `from` is then a shared placeholder bot.
 */
export function isAdminUpdate(ctx: Context, policy: AdminPolicy): boolean {
  const senderChat = ctx.msg?.sender_chat;
  if (senderChat !== undefined) {
    return senderChat.id === policy.adminChatId && ctx.chat?.id === policy.adminChatId;
  }
  const from = ctx.from;
  if (from === undefined || from.is_bot || from.id === ANONYMOUS_ADMIN_BOT_ID) return false;
  return policy.adminUserIds.includes(from.id);
}
