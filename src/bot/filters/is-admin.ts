import type { Context } from "grammy";
import type { Chat } from "grammy/types";
import { ANONYMOUS_ADMIN_BOT_ID } from "../../config.js";

/** Who may use the bot: the configured admin users, and (when allowed) anonymous admins of the admin group. */
export interface AdminPolicy {
  readonly adminChatId: number;
  readonly adminUserIds: readonly number[];
  /** Trust a message sent as the admin group itself (an anonymous admin); `ANONYMOUS_ADMINS`. */
  readonly anonymousAdmins: boolean;
}

/** Admin commands and buttons work in the admin chat and in private chats only, never in some other group. */
function inAdminPlace(chat: Chat, policy: AdminPolicy): boolean {
  return chat.id === policy.adminChatId || chat.type === "private";
}

/**
 * True when the update comes from an admin, in a place where admins act. A button press is judged by who pressed
 * it (`callback_query.from`), never by the message the button sits on: in a channel every card carries the channel
 * as `sender_chat`. A message sent on behalf of a chat carries `sender_chat` and a placeholder `from`; it is trusted
 * only with `anonymousAdmins`, from the admin group itself, and never in a channel (its posts are not commands).
 */
export function isAdminUpdate(ctx: Context, policy: AdminPolicy): boolean {
  const chat = ctx.chat;
  if (chat === undefined || !inAdminPlace(chat, policy)) return false;
  const query = ctx.callbackQuery;
  if (query !== undefined) return policy.adminUserIds.includes(query.from.id);
  const senderChat = ctx.msg?.sender_chat;
  if (senderChat !== undefined) {
    return policy.anonymousAdmins && chat.type !== "channel" && senderChat.id === policy.adminChatId && chat.id === policy.adminChatId;
  }
  const from = ctx.from;
  if (from === undefined || from.is_bot || from.id === ANONYMOUS_ADMIN_BOT_ID) return false;
  return policy.adminUserIds.includes(from.id);
}
