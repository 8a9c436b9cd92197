// What the emulator remembers (bot messages, chats, calls, callbacks, faults, stubs, queued updates) and how a
// stored bot message is shown to the bot and to tests.
import type { EmulatorFile } from "./files.js";
import { keyboardToMarkup, type Keyboard } from "./keyboard.js";
import { BOT_INFO, TOKEN } from "./options.js";
import type {
  BotMessageView,
  CallbackAnswer,
  EmulatorChat,
  EmulatorFault,
  EmulatorUser,
  MethodStub,
  RecordedCall,
} from "./types.js";
import { bad, isJson, type Json } from "./values.js";

/** The subset of telegram-test-api's TelegramServer used here (its d.ts needs `typegram`, which is not installed). */
export interface TestApiCore {
  storage: { userMessages: { updateId: number; messageId: number; callbackId?: number }[]; botMessages: unknown[] };
  addUserMessage(message: Record<string, unknown>): Promise<void>;
  addUserCallback(query: Record<string, unknown>): Promise<void>;
  getUpdates(token: string): unknown[];
  addBotMessage(message: Record<string, unknown>, token: string): unknown;
  editMessageText(message: Record<string, unknown>): void;
  editMessageReplyMarkup(message: Record<string, unknown>): void;
  deleteMessage(chatId: number, messageId: number): boolean;
}

/** A Bot API answer; null when the bot went away before it (an aborted long poll). */
export type Answer =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: Json };

/** One bot message as stored (deleted messages stay, flagged). */
export interface BotMessageRecord {
  chatId: number;
  messageId: number;
  kind: string;
  text: string;
  parseMode?: string;
  replyMarkup?: unknown;
  inlineKeyboard: Keyboard;
  editCount: number;
  date: number;
  editDate?: number;
  replyToMessageId?: number;
  deleted: boolean;
  media?: Json;
}

/** An open getUpdates long poll. */
export interface PendingPoll {
  wake(): void;
  finish(answer: Answer | null): void;
}

/** A test waiting for a condition, rechecked on every change. */
export interface Waiter {
  check(): void;
  abort(err: Error): void;
}

/** Key of a message in a chat. */
export const messageKey = (chatId: number, messageId: number): string => `${chatId}:${messageId}`;

/** The bot as a message's `from`. */
export const botFrom = (): Json => ({ id: BOT_INFO.id, is_bot: true, first_name: BOT_INFO.first_name, username: BOT_INFO.username });

/** A test user as Telegram shows it in updates. */
export function userObject(u: EmulatorUser): Json {
  return {
    id: u.id,
    is_bot: u.is_bot ?? false,
    first_name: u.first_name ?? `User${u.id}`,
    ...(u.username !== undefined ? { username: u.username } : {}),
  };
}

/** One line describing a bot message, for failure messages. */
export function describeView(m: BotMessageView): string {
  const buttons = m.inlineKeyboard.map((row) => row.map((b) => `${b.text}${b.callbackData !== undefined ? `=${b.callbackData}` : ""}`).join(" | ")).join(" / ");
  const text = m.text.length > 200 ? `${m.text.slice(0, 200)}…` : m.text;
  return `  #${m.messageId} chat ${m.chatId} ${m.kind}${m.editCount > 0 ? ` (edited ${m.editCount}×)` : ""}: ${JSON.stringify(text)}${buttons ? ` [${buttons}]` : ""}`;
}

/** The emulator's state, shared by the method handlers, the user actions and the test API. */
export class EmulatorState {
  down = false;
  /** How far the `Date` header of every answer runs ahead of this machine's clock. */
  clockOffsetMs = 0;
  closed = false;
  calls: RecordedCall[] = [];
  records: BotMessageRecord[] = [];
  userMessages = new Map<string, Json>();
  chats = new Map<number, Json>();
  callbackIds = new Set<string>();
  pressChain: Promise<void> = Promise.resolve();
  answers: CallbackAnswer[] = [];
  faults = new Map<string, { fault: EmulatorFault; remaining: number }[]>();
  stubs = new Map<string, MethodStub>();
  commands = new Map<string, unknown>();
  /** Delivered but not yet confirmed (by a later `offset`) updates, like Telegram keeps them. */
  unconfirmed: Json[] = [];
  readonly polls = new Set<PendingPoll>();
  readonly waiters = new Set<Waiter>();
  /** Files users sent, by file_id; numbered on (not reset) so ids never repeat. */
  files = new Map<string, EmulatorFile>();
  nextFileNumber = 1;
  downloads: string[] = [];
  fileDownloadLimit: number;

  constructor(
    readonly core: TestApiCore,
    readonly defaultFileDownloadLimit: number,
  ) {
    this.fileDownloadLimit = defaultFileDownloadLimit;
  }

  /** Rechecks every waiting test. */
  notify(): void {
    for (const w of [...this.waiters]) w.check();
  }

  /** Wakes every open long poll (an update was queued). */
  wakePolls(): void {
    for (const p of [...this.polls]) p.wake();
  }

  /** The chat object of `chatId`: as last seen, or made up from the id's sign. */
  chatObject(chatId: number): Json {
    const known = this.chats.get(chatId);
    if (known) return known;
    if (chatId > 0) return { id: chatId, type: "private", first_name: `User${chatId}` };
    return { id: chatId, type: chatId <= -1_000_000_000_000 ? "supergroup" : "group", title: `Group ${chatId}` };
  }

  /** Records the chat a user writes in (their private chat by default). */
  rememberChat(chat: EmulatorChat | undefined, from: EmulatorUser): Json {
    if (!chat || chat.type === "private") {
      const id = chat?.id ?? from.id;
      const obj: Json = { id, type: "private", first_name: from.first_name ?? `User${from.id}` };
      if (from.username !== undefined) obj.username = from.username;
      this.chats.set(id, obj);
      return obj;
    }
    const obj: Json = { id: chat.id, type: chat.type, title: chat.title ?? `Group ${chat.id}` };
    this.chats.set(chat.id, obj);
    return obj;
  }

  /** A stored bot message as a Telegram `Message`. */
  toMessage(r: BotMessageRecord): Json {
    const chat = this.chatObject(r.chatId);
    const msg: Json = { message_id: r.messageId, from: botFrom(), chat, date: r.date };
    // Telegram signs every channel post, the bot's too, with the channel as sender_chat.
    if (chat.type === "channel") msg.sender_chat = chat;
    if (r.editDate !== undefined) msg.edit_date = r.editDate;
    if (r.kind === "text") msg.text = r.text;
    else {
      Object.assign(msg, r.media ?? {});
      if (r.text !== "") msg.caption = r.text;
    }
    const markup = keyboardToMarkup(r.inlineKeyboard);
    if (markup) msg.reply_markup = markup;
    if (r.replyToMessageId !== undefined) {
      const replied = this.findMessage(r.chatId, r.replyToMessageId);
      if (replied) msg.reply_to_message = replied;
    }
    return msg;
  }

  /** A snapshot of a stored bot message for tests. */
  view(r: BotMessageRecord): BotMessageView {
    const v: BotMessageView = {
      chatId: r.chatId,
      messageId: r.messageId,
      text: r.text,
      inlineKeyboard: r.inlineKeyboard.map((row) => row.map((b) => ({ ...b }))),
      editCount: r.editCount,
      kind: r.kind,
    };
    if (r.parseMode !== undefined) v.parseMode = r.parseMode;
    if (r.replyMarkup !== undefined) v.replyMarkup = r.replyMarkup;
    if (r.replyToMessageId !== undefined) v.replyToMessageId = r.replyToMessageId;
    return v;
  }

  /** The bot's current (non-deleted) messages, optionally of one chat. */
  botMessages(chatId?: number): BotMessageView[] {
    return this.records.filter((r) => !r.deleted && (chatId === undefined || r.chatId === chatId)).map((r) => this.view(r));
  }

  /** A bot message that exists and is not deleted. */
  findRecord(chatId: number, messageId: number): BotMessageRecord | undefined {
    return this.records.find((r) => r.chatId === chatId && r.messageId === messageId && !r.deleted);
  }

  /** A bot or user message as a (flat, one level) Telegram `Message`. */
  findMessage(chatId: number, messageId: number): Json | undefined {
    const r = this.findRecord(chatId, messageId);
    if (r) {
      const { reply_to_message: _nested, ...flat } = this.toMessage(r);
      return flat;
    }
    return this.userMessages.get(messageKey(chatId, messageId));
  }

  /** The bot message a payload names, or Telegram's 400. */
  requireRecord(chatId: number, messageId: number, action: "edit" | "delete"): BotMessageRecord {
    const r = this.findRecord(chatId, messageId);
    if (!r) throw bad(action === "edit" ? "message to edit not found" : "message to delete not found");
    return r;
  }

  /** Moves newly queued updates from telegram-test-api into the unconfirmed list, in Telegram's shape. */
  pullUpdates(): void {
    for (const u of this.core.getUpdates(TOKEN)) {
      if (!isJson(u)) continue;
      if (isJson(u.message)) {
        const { botToken: _t, ...message } = u.message;
        this.unconfirmed.push({ ...u, message });
      } else if (isJson(u.callback_query)) {
        const q = u.callback_query;
        const chat = isJson(q.message) && isJson(q.message.chat) ? q.message.chat.id : 0;
        this.unconfirmed.push({ ...u, callback_query: { ...q, chat_instance: `ci${String(chat)}` } });
      } else this.unconfirmed.push(u);
    }
  }

  /** Forget messages, files, downloads, calls, callback answers, faults, stubs, chats and queued updates; clears `down` and the clock offset. */
  reset(): void {
    this.down = false;
    this.clockOffsetMs = 0;
    this.calls = [];
    this.records = [];
    this.userMessages = new Map();
    this.chats = new Map();
    this.callbackIds = new Set();
    this.answers = [];
    this.faults = new Map();
    this.stubs = new Map();
    this.commands = new Map();
    this.files = new Map();
    this.downloads = [];
    this.fileDownloadLimit = this.defaultFileDownloadLimit;
    this.core.getUpdates(TOKEN); // drain the library's queue
    this.unconfirmed = [];
    this.core.storage.userMessages = [];
    this.core.storage.botMessages = [];
  }
}
