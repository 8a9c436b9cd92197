// What a test user does: send a text (with bot_command entities) or a medium, or press an inline button.
import { mediaFields } from "./files.js";
import { TOKEN } from "./options.js";
import { botFrom, describeView, messageKey, userObject, type EmulatorState } from "./state.js";
import type { EmulatorChat, EmulatorMedia, EmulatorUser, SentMedia } from "./types.js";
import { nowSec, optNumber, type Json } from "./values.js";

function commandEntities(text: string): Json[] {
  const out: Json[] = [];
  const re = /(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?=$|\s)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const lead = m[1] ?? "";
    const cmd = m[2] ?? "";
    out.push({ type: "bot_command", offset: m.index + lead.length, length: cmd.length });
  }
  return out;
}

/** Queues a user's message (a reply to `replyToMessageId` when given) and stores it; returns its message_id. */
async function deliver(
  s: EmulatorState,
  opts: { from: EmulatorUser; chat?: EmulatorChat; senderChat?: EmulatorChat; replyToMessageId?: number },
  content: Json,
  action: string,
): Promise<number> {
  const { from, chat, senderChat, replyToMessageId } = opts;
  const chatObj = s.rememberChat(chat, from);
  const chatId = optNumber(chatObj.id) ?? from.id;
  const message: Json = { botToken: TOKEN, from: userObject(from), chat: chatObj, date: nowSec(), ...content };
  if (senderChat) message.sender_chat = { id: senderChat.id, type: senderChat.type, title: senderChat.title ?? `Chat ${senderChat.id}` };
  if (replyToMessageId !== undefined) {
    const replied = s.findMessage(chatId, replyToMessageId);
    if (!replied) throw new Error(`${action}: message ${replyToMessageId} not found in chat ${chatId}`);
    message.reply_to_message = replied;
  }
  const pending = s.core.addUserMessage(message);
  const entry = s.core.storage.userMessages.at(-1); // pushed synchronously by addUserMessage
  await pending;
  if (!entry) throw new Error("telegram-test-api did not store the user message");
  const { botToken: _t, ...stored } = message;
  s.userMessages.set(messageKey(chatId, entry.messageId), { ...stored, message_id: entry.messageId });
  s.wakePolls();
  return entry.messageId;
}

/** A user sends a text message; returns its message_id. */
export function sendText(
  s: EmulatorState,
  opts: { from: EmulatorUser; chat?: EmulatorChat; text: string; senderChat?: EmulatorChat; replyToMessageId?: number },
): Promise<number> {
  const content: Json = { text: opts.text };
  const entities = commandEntities(opts.text);
  if (entities.length > 0) content.entities = entities;
  return deliver(s, opts, content, "sendText");
}

/** A user sends a photo, animation, video or document (optionally captioned); the file stays for getFile. */
export async function sendMedia(
  s: EmulatorState,
  opts: { from: EmulatorUser; chat?: EmulatorChat; media: EmulatorMedia; caption?: string; replyToMessageId?: number },
): Promise<SentMedia> {
  const { fields, file } = mediaFields(s, opts.media);
  const content: Json = opts.caption === undefined ? fields : { ...fields, caption: opts.caption };
  const messageId = await deliver(s, opts, content, "sendMedia");
  return { messageId, fileId: file.fileId, fileUniqueId: file.fileUniqueId, filePath: file.filePath };
}

/** A user presses an inline button; returns the callback query id. */
export async function pressButton(
  s: EmulatorState,
  opts: { from: EmulatorUser; chat?: EmulatorChat; messageId: number; data: string; force?: boolean },
): Promise<string> {
  const { from, chat, messageId, data, force } = opts;
  const record = s.records.find((r) => r.messageId === messageId && (chat === undefined || r.chatId === chat.id));
  const listing = (): string => s.botMessages().map(describeView).join("\n") || "  (none)";
  if (!force) {
    if (!record || record.deleted) throw new Error(`pressButton: bot message ${messageId} not found${record?.deleted ? " (deleted)" : ""}. Bot messages:\n${listing()}`);
    if (!record.inlineKeyboard.some((row) => row.some((b) => b.callbackData === data))) {
      throw new Error(`pressButton: message ${messageId} has no button with callback_data ${JSON.stringify(data)}. Bot messages:\n${listing()}`);
    }
  }
  if (chat?.type === "channel") s.rememberChat(chat, from);
  const message = record
    ? s.toMessage(record)
    : { message_id: messageId, from: botFrom(), chat: chat ? s.chatObject(chat.id) : s.chatObject(from.id), date: nowSec(), text: "" };
  // telegram-test-api bumps its callback id only after an await: concurrent presses would share
  // one id, so presses are serialised.
  const previous = s.pressChain;
  let release = (): void => undefined;
  s.pressChain = new Promise<void>((resolve) => (release = resolve));
  await previous;
  let entry: (typeof s.core.storage.userMessages)[number] | undefined;
  try {
    const pending = s.core.addUserCallback({ botToken: TOKEN, from: userObject(from), message, data });
    entry = s.core.storage.userMessages.at(-1);
    await pending;
  } finally {
    release();
  }
  if (entry?.callbackId === undefined) throw new Error("telegram-test-api did not store the callback query");
  const id = String(entry.callbackId);
  s.callbackIds.add(id);
  s.wakePolls();
  return id;
}
