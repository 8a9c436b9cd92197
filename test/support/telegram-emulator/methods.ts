// Routes a Bot API method to its handler; stubs first, then the emulated methods, then the ones answered `true`.
import type { ServerResponse } from "node:http";
import { answerCallback } from "./callbacks.js";
import { getFile } from "./files.js";
import { deleteMany, deleteOne, editReplyMarkup, editText, sendMessageLike } from "./messages.js";
import { BOT_INFO } from "./options.js";
import type { Answer, EmulatorState } from "./state.js";
import { BotApiError } from "./types.js";
import { deleteWebhook, getUpdates, webhookInfo } from "./updates.js";
import { bad, parseMaybeJson, requireChatId, requireMessageId, type Json } from "./values.js";

const MEDIA_METHODS: Record<string, string> = {
  sendphoto: "photo",
  senddocument: "document",
  sendvideo: "video",
  sendanimation: "animation",
  sendaudio: "audio",
  sendvoice: "voice",
};

const TRUE_METHODS = new Set(
  [
    "setMyCommands",
    "deleteMyCommands",
    "sendChatAction",
    "setWebhook",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "leaveChat",
    "setMessageReaction",
    "close",
    "logOut",
  ].map((m) => m.toLowerCase()),
);

const commandsKey = (p: Json): string => JSON.stringify([parseMaybeJson(p.scope) ?? null, p.language_code ?? ""]);

/** Everyone, the bot included, is a plain member of every chat; stub getChatMember to show another status. */
function chatMember(userId: number): Json {
  return { status: "member", user: userId === BOT_INFO.id ? BOT_INFO : { id: userId, is_bot: false, first_name: `User${userId}` } };
}

/** Answers one Bot API call (`lower` is the lower-cased method); throws {@link BotApiError} for Telegram errors. */
export async function dispatch(s: EmulatorState, method: string, lower: string, p: Json, res: ServerResponse): Promise<Answer | null> {
  const stub = s.stubs.get(lower);
  if (stub) return { ok: true, result: typeof stub === "function" ? stub(p) : stub.result };
  const kind = MEDIA_METHODS[lower];
  if (kind !== undefined) return { ok: true, result: sendMessageLike(s, p, kind) };
  switch (lower) {
    case "getupdates":
      return getUpdates(s, p, res);
    case "getme":
      return { ok: true, result: BOT_INFO };
    case "sendmessage":
      return { ok: true, result: sendMessageLike(s, p, "text") };
    case "editmessagetext":
      return { ok: true, result: editText(s, p, "text") };
    case "editmessagecaption":
      return { ok: true, result: editText(s, p, "caption") };
    case "editmessagereplymarkup":
      return { ok: true, result: editReplyMarkup(s, p) };
    case "deletemessage":
      if (!deleteOne(s, requireChatId(p), requireMessageId(p))) throw bad("message to delete not found");
      return { ok: true, result: true };
    case "deletemessages":
      return { ok: true, result: deleteMany(s, p) };
    case "answercallbackquery":
      return { ok: true, result: answerCallback(s, p) };
    case "deletewebhook":
      return { ok: true, result: deleteWebhook(s, p) };
    case "getwebhookinfo":
      return { ok: true, result: webhookInfo(s) };
    case "setmycommands":
      s.commands.set(commandsKey(p), parseMaybeJson(p.commands));
      return { ok: true, result: true };
    case "deletemycommands":
      s.commands.delete(commandsKey(p));
      return { ok: true, result: true };
    case "getmycommands":
      return { ok: true, result: s.commands.get(commandsKey(p)) ?? [] };
    case "getfile":
      return { ok: true, result: getFile(s, p) };
    case "getchat":
      return { ok: true, result: { ...s.chatObject(requireChatId(p)), accent_color_id: 0, max_reaction_count: 11 } };
    case "getchatmember":
      requireChatId(p);
      return { ok: true, result: chatMember(Number(p.user_id)) };
    default:
      if (TRUE_METHODS.has(lower)) return { ok: true, result: true };
      throw new BotApiError(404, `Not Found: method ${method} is not emulated (use stubMethod)`);
  }
}
