// sendMessage and media sends, editMessageText/Caption/ReplyMarkup, deleteMessage(s): the bot's messages.
import { parseKeyboard, type Keyboard } from "./keyboard.js";
import { TOKEN } from "./options.js";
import type { BotMessageRecord, EmulatorState } from "./state.js";
import { validateText } from "./text-checks.js";
import { bad, isJson, nowSec, optNumber, optString, parseMaybeJson, requireChatId, requireMessageId, type Json } from "./values.js";

const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

function replyTarget(p: Json): number | undefined {
  const params = parseMaybeJson(p.reply_parameters);
  if (isJson(params)) return optNumber(params.message_id);
  return optNumber(p.reply_to_message_id);
}

/** sendMessage (`kind` "text") or a media send (`kind` "photo", "document", …, with the caption as text). */
export function sendMessageLike(s: EmulatorState, p: Json, kind: string): Json {
  const chatId = requireChatId(p);
  const parseMode = optString(p.parse_mode);
  let text: string;
  let media: Json | undefined;
  if (kind === "text") {
    const t = optString(p.text);
    validateText(t, parseMode, 4096, "text");
    text = t ?? "";
  } else {
    const caption = optString(p.caption);
    validateText(caption, parseMode, 1024, "caption");
    text = caption ?? "";
    const input = p[kind];
    if (input === undefined) throw bad(`there is no ${kind} in the request`);
    const fileId = typeof input === "string" ? input : `emulated-${kind}-${Date.now()}`;
    const file = { file_id: fileId, file_unique_id: `u-${fileId}`.slice(0, 32) };
    media = { [kind]: kind === "photo" ? [{ ...file, width: 800, height: 600 }] : file };
  }
  const replyMarkup = parseMaybeJson(p.reply_markup);
  const inlineKeyboard = parseKeyboard(replyMarkup);
  const replyTo = replyTarget(p);
  if (replyTo !== undefined && !s.findMessage(chatId, replyTo)) {
    const params = parseMaybeJson(p.reply_parameters);
    const allowWithout = isJson(params) ? params.allow_sending_without_reply === true : p.allow_sending_without_reply === true;
    if (!allowWithout) throw bad("message to be replied not found");
  }
  // Let telegram-test-api allocate the message_id (and keep its own storage in sync).
  const stored = s.core.addBotMessage({ ...p, chat_id: chatId, text, reply_markup: replyMarkup }, TOKEN);
  const messageId = isJson(stored) ? optNumber(stored.message_id) : undefined;
  if (messageId === undefined) throw new Error("telegram-test-api returned no message_id");
  const record: BotMessageRecord = {
    chatId,
    messageId,
    kind,
    text,
    inlineKeyboard,
    editCount: 0,
    date: nowSec(),
    deleted: false,
  };
  if (parseMode !== undefined) record.parseMode = parseMode;
  if (replyMarkup !== undefined) record.replyMarkup = replyMarkup;
  if (replyTo !== undefined && s.findMessage(chatId, replyTo)) record.replyToMessageId = replyTo;
  if (media) record.media = media;
  s.records.push(record);
  s.notify();
  return s.toMessage(record);
}

function notModified(r: BotMessageRecord, text: string, kb: Keyboard): boolean {
  return r.text === text && JSON.stringify(r.inlineKeyboard) === JSON.stringify(kb);
}

function applyEdit(
  s: EmulatorState,
  r: BotMessageRecord,
  text: string,
  parseMode: string | undefined,
  markup: unknown,
  kb: Keyboard,
): Json {
  r.text = text;
  if (parseMode !== undefined) r.parseMode = parseMode;
  else delete r.parseMode;
  if (kb.length > 0) r.replyMarkup = markup;
  else delete r.replyMarkup;
  r.inlineKeyboard = kb;
  r.editCount += 1;
  r.editDate = nowSec();
  s.notify();
  return s.toMessage(r);
}

/** editMessageText (`field` "text") or editMessageCaption. */
export function editText(s: EmulatorState, p: Json, field: "text" | "caption"): unknown {
  const parseMode = optString(p.parse_mode);
  const text = optString(p[field]);
  validateText(text, parseMode, field === "text" ? 4096 : 1024, field);
  const markup = parseMaybeJson(p.reply_markup);
  const kb = parseKeyboard(markup); // Telegram drops the keyboard when reply_markup is omitted.
  if (p.inline_message_id !== undefined) return true;
  const r = s.requireRecord(requireChatId(p), requireMessageId(p), "edit");
  if (field === "text" && r.kind !== "text") throw bad("there is no text in the message to edit");
  if (field === "caption" && r.kind === "text") throw bad("there is no caption in the message to edit");
  if (notModified(r, text ?? "", kb)) throw bad(NOT_MODIFIED);
  if (field === "text") s.core.editMessageText({ ...p, chat_id: r.chatId, message_id: r.messageId });
  return applyEdit(s, r, text ?? "", parseMode, markup, kb);
}

/** editMessageReplyMarkup. */
export function editReplyMarkup(s: EmulatorState, p: Json): unknown {
  const markup = parseMaybeJson(p.reply_markup);
  const kb = parseKeyboard(markup);
  if (p.inline_message_id !== undefined) return true;
  const r = s.requireRecord(requireChatId(p), requireMessageId(p), "edit");
  if (notModified(r, r.text, kb)) throw bad(NOT_MODIFIED);
  s.core.editMessageReplyMarkup({ ...p, chat_id: r.chatId, message_id: r.messageId });
  return applyEdit(s, r, r.text, r.parseMode, markup, kb);
}

/** Deletes a bot or user message; false when there is none. */
export function deleteOne(s: EmulatorState, chatId: number, messageId: number): boolean {
  const r = s.findRecord(chatId, messageId);
  const userKey = `${chatId}:${messageId}`;
  if (!r && !s.userMessages.has(userKey)) return false;
  if (r) r.deleted = true;
  s.userMessages.delete(userKey);
  s.core.deleteMessage(chatId, messageId);
  s.notify();
  return true;
}

/** deleteMessages: deletes those that exist, ignores the rest. */
export function deleteMany(s: EmulatorState, p: Json): true {
  const chatId = requireChatId(p);
  const ids = parseMaybeJson(p.message_ids);
  if (!Array.isArray(ids)) throw bad("message identifiers are not specified");
  for (const id of ids) {
    const n = optNumber(id);
    if (n !== undefined) deleteOne(s, chatId, n);
  }
  return true;
}
