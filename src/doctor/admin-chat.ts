import { GrammyError } from "grammy";
import type { ChatMember, ChatFullInfo } from "grammy/types";
import { fail, ok, skip, type CheckLine, type DoctorCheck } from "./check.js";
import { telegramFailure, type TelegramProbe } from "./telegram.js";

const NAME = "Admin chat";

function describeChat(chat: ChatFullInfo): string {
  if (chat.type === "private") return `private chat with ${chat.first_name}${chat.username ? ` (@${chat.username})` : ""}`;
  return `${chat.type} "${chat.title}"`;
}

/** Where cards and alerts go must let the bot post and edit: a group needs it as a member, a channel as an admin. */
function membershipLine(chat: ChatFullInfo, member: ChatMember): CheckLine {
  const where = describeChat(chat);
  switch (member.status) {
    case "creator":
      return ok(NAME, `${where}, the bot owns it`);
    case "administrator":
      if (chat.type === "channel" && (member.can_post_messages !== true || member.can_edit_messages !== true)) {
        return fail(NAME, `${where}: the bot is an admin without "Post messages" and "Edit messages"`, "grant both to the bot in the channel's admin settings");
      }
      return ok(NAME, `${where}, the bot is an admin`);
    case "member":
      if (chat.type === "channel") {
        return fail(NAME, `${where}: the bot is a subscriber, not an admin`, 'make the bot an admin of the channel with "Post messages" and "Edit messages"');
      }
      return ok(NAME, `${where}, the bot is a member`);
    case "restricted":
      if (!member.can_send_messages) return fail(NAME, `${where}: the bot may not send messages there`, "lift the bot's restrictions in the group");
      return ok(NAME, `${where}, the bot is a member (restricted, may send)`);
    case "left":
    case "kicked":
      return fail(NAME, `${where}: the bot is not in it (${member.status})`, `add the bot to the ${chat.type} again`);
  }
}

function fixFor(chatId: number): (code: number) => string {
  return (code) => {
    if (code === 401 || code === 404) return "fix the bot token first";
    if (chatId > 0) return "check ADMIN_CHAT_ID (your user id) and send /start to the bot from that account once";
    return "check ADMIN_CHAT_ID (groups are negative; supergroups and channels start with -100) and add the bot to that chat";
  };
}

/** getChat ADMIN_CHAT_ID, then (group or channel) the bot's own membership there: can cards and alerts be posted? */
export function adminChatCheck(telegram: TelegramProbe, chatId: number): DoctorCheck {
  return {
    name: NAME,
    onTimeout: "check TELEGRAM_API_ROOT and this machine's network",
    async run() {
      let botId: number;
      try {
        botId = (await telegram.me()).id;
      } catch {
        return skip(NAME, `${chatId} not checked: the bot token does not work`);
      }
      let chat: ChatFullInfo;
      try {
        chat = await telegram.api.getChat(chatId);
      } catch (error) {
        const line = telegramFailure(NAME, error, telegram.host, fixFor(chatId));
        return error instanceof GrammyError ? { ...line, detail: `${chatId}: ${line.detail}` } : line;
      }
      if (chat.type === "private") return ok(NAME, describeChat(chat));
      try {
        return membershipLine(chat, await telegram.api.getChatMember(chatId, botId));
      } catch (error) {
        return telegramFailure(NAME, error, telegram.host, fixFor(chatId));
      }
    },
  };
}
