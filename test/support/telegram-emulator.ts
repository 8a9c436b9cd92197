/**
 * In-process Telegram Bot API emulator for tests, built on `telegram-test-api`.
 *
 * `telegram-test-api` supplies the update queue (user messages and callback
 * queries waiting for `getUpdates`), the update/message id counters and its
 * own copy of the bot's messages. This wrapper owns the HTTP front door
 * (127.0.0.1, random port) so that it can:
 * - record every Bot API call and inject faults (429/5xx/4xx/delay/outage);
 * - answer the methods `telegram-test-api` lacks (setMyCommands, sendChatAction,
 *   getChat, sendPhoto, editMessageCaption, ...), which it answers with HTTP 500;
 * - answer with Telegram-shaped `Message` objects (dates in seconds, the real
 *   chat type, `from` = the bot) instead of the library's ms dates and
 *   always-"private" chats, so group chats (negative ids) work;
 * - implement real long polling (`timeout`) and `offset` confirmation, which the
 *   library ignores (it answers `getUpdates` at once and marks updates read on
 *   delivery);
 * - keep the authoritative state of the bot's messages (text, keyboard, edits,
 *   deletions), including keyboard removal, which the library ignores;
 * - reproduce Telegram's common 400s: empty/too long text, "message is not
 *   modified", message to edit/delete not found, invalid callback_data,
 *   HTML parse errors, unknown callback query ids.
 *
 * Typical use:
 * ```ts
 * const tg = await startTelegramEmulator();
 * const bot = new Bot(tg.token, { botInfo: tg.botInfo, client: { apiRoot: tg.apiRoot } });
 * const handle = run(bot, EMULATOR_RUNNER_OPTIONS);
 * await tg.sendText({ from: { id: 42 }, text: "/start" });
 * await tg.waitForBotMessage((m) => m.text.includes("hello"));
 * await handle.stop(); await tg.close();
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunOptions } from "@grammyjs/runner";
import type { Update, UserFromGetMe } from "grammy/types";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";

/** A Telegram user as the emulator sends it in updates (`first_name` defaults to "User<id>"). */
export interface EmulatorUser {
  id: number;
  first_name?: string;
  username?: string;
  is_bot?: boolean;
}

/** A chat a user writes in; omit for the private chat with the user. */
export interface EmulatorChat {
  id: number;
  type: "private" | "group" | "supergroup";
  title?: string;
}

/** Snapshot of one bot message as it currently looks in Telegram. */
export interface BotMessageView {
  chatId: number;
  messageId: number;
  /** Message text, or the caption for media messages ("" when none). */
  text: string;
  parseMode?: string;
  inlineKeyboard: { text: string; callbackData?: string; url?: string }[][];
  editCount: number;
  /** Which send method produced it: "text" for sendMessage, else e.g. "photo", "document". */
  kind: string;
  /** The raw reply_markup currently attached (inline keyboards only survive edits, like Telegram). */
  replyMarkup?: unknown;
  /** message_id of the message this one replies to, if the bot sent reply_parameters/reply_to_message_id. */
  replyToMessageId?: number;
}

/** One Bot API request the bot made, with the emulator's answer filled in once sent. */
export interface RecordedCall {
  method: string;
  payload: Record<string, unknown>;
  at: number;
  /** Set once answered: whether the emulator answered ok. */
  ok?: boolean;
  /** Set once answered with an error: the error_code (401, 400, 429, 502, ...). */
  errorCode?: number;
  /** Set once answered with an error: the description. */
  description?: string;
  /** Set once answered ok: the result sent to the bot. */
  result?: unknown;
}

/** A fault for {@link TelegramEmulator.injectFault}: an error answer, or an extra delay before the normal answer. */
export type EmulatorFault =
  | { status: 429; retryAfter: number; description?: string }
  | { status: 500 | 502 | 400 | 403; description?: string }
  | { delayMs: number };

/** An answer to a callback query as the bot sent it. */
export interface CallbackAnswer {
  callbackQueryId: string;
  text?: string;
  showAlert?: boolean;
}

/** Result for a stubbed method: a fixed value, or a function of the call payload (throw {@link BotApiError} to answer an error). */
export type MethodStub = { result: unknown } | ((payload: Record<string, unknown>) => unknown);

/** Handle to a running emulator; see {@link startTelegramEmulator}. */
export interface TelegramEmulator {
  /** e.g. "http://127.0.0.1:41234" — pass as grammY `client.apiRoot`. */
  readonly apiRoot: string;
  /** The only bot token the emulator accepts (others get 401 Unauthorized). */
  readonly token: string;
  /**
   * Fixture usable as grammY `botInfo` (so grammY never calls getMe): id, is_bot, first_name, username,
   * can_join_groups, can_read_all_group_messages, supports_inline_queries, can_connect_to_business,
   * has_main_web_app, plus the fields grammY 1.46's `UserFromGetMe` also requires.
   */
  readonly botInfo: UserFromGetMe;
  /** Convenience: `new Bot(tg.token, tg.botConfig)`. */
  readonly botConfig: { botInfo: TelegramEmulator["botInfo"]; client: { apiRoot: string } };
  /** Escape hatch: the underlying telegram-test-api server object (its HTTP server is never started). */
  readonly raw: TelegramServer;
  /**
   * A user sends a text message; returns its message_id. "/cmd args" (or "/cmd@bot") gets a
   * bot_command entity. Default chat = private chat with `from`. `replyToMessageId` makes it a
   * reply to that (bot or user) message in the same chat.
   */
  sendText(opts: {
    from: EmulatorUser;
    chat?: EmulatorChat;
    text: string;
    senderChat?: EmulatorChat;
    replyToMessageId?: number;
  }): Promise<number>;
  /**
   * A user presses an inline button (callback_data `data`) on a bot message; returns the callback
   * query id. Throws if the message does not exist/was deleted or currently has no button with that
   * data, unless `force` is set (then it sends the query anyway, like a stale client would).
   */
  pressButton(opts: { from: EmulatorUser; chat?: EmulatorChat; messageId: number; data: string; force?: boolean }): Promise<string>;
  /** Current state of the bot's non-deleted messages (after edits), in send order; snapshots. */
  botMessages(chatId?: number): BotMessageView[];
  /** Resolves when an existing or new/edited message matches; rejects on timeout (default 5000 ms) listing messages and recent failed calls. */
  waitForBotMessage(predicate: (m: BotMessageView) => boolean, timeoutMs?: number): Promise<BotMessageView>;
  /** Every answerCallbackQuery the bot made (successful ones), in order. */
  callbackAnswers(): CallbackAnswer[];
  /** Resolves when the bot answered that callback query (default timeout 5000 ms). */
  waitForCallbackAnswer(callbackQueryId: string, timeoutMs?: number): Promise<{ text?: string; showAlert?: boolean }>;
  /**
   * Bot API calls the bot made, in arrival order, including failed/faulted ones. Method match is
   * case-insensitive. Without `method`, getUpdates polls are left out (ask `calls("getUpdates")`).
   */
  calls(method?: string): RecordedCall[];
  /** Resolves with the first recorded call of `method` (optionally matching) that has been answered; default timeout 5000 ms. */
  waitForCall(method: string, predicate?: (c: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** The next `times` (default 1) calls of `method` get `fault` (delay faults then proceed normally). */
  injectFault(method: string, fault: EmulatorFault, times?: number): void;
  /** Override (or add) a method's answer; `undefined` removes the stub. */
  stubMethod(method: string, stub: MethodStub | undefined): void;
  /** While down every method answers HTTP 502 {ok:false,error_code:502}; pending long polls are cut with 502. */
  setDown(down: boolean): void;
  /** Forget messages, calls, callback answers, faults, stubs, chats and queued updates; clears `down`. */
  reset(): void;
  /** Answers pending long polls with [], closes all connections and the server. Stop bots first. */
  close(): Promise<void>;
}

/**
 * Runner options for `run(bot, EMULATOR_RUNNER_OPTIONS)` against the emulator.
 *
 * The emulator implements real long polling, so the runner keeps one `getUpdates` open
 * (`fetch.timeout` 10 s) and gets each update as soon as it is queued: measured latency
 * sendText → bot handler ≈ 1–5 ms, with no CPU spinning (an idle bot makes one request per
 * 10 s). `handle.stop()` aborts the open poll immediately, so shutdown is instant.
 * `retryInterval: 50` (constant) lets a bot recover ~50 ms after `setDown(false)` instead of
 * the default exponential backoff (which can reach seconds); `silent` keeps the runner from
 * logging every failed getUpdates while the emulator is down.
 *
 * (The alternative `fetch: { timeout: 0 }` + `source: { maxDelayMilliseconds: 50,
 * speedTrafficBalance: 0.2 }` also works — the emulator answers timeout-0 polls at once — but
 * polls ~20×/s and adds up to 50 ms latency.)
 */
export const EMULATOR_RUNNER_OPTIONS = {
  runner: { fetch: { timeout: 10 }, retryInterval: 50, silent: true },
} satisfies RunOptions<Update>;

/** Polling options for grammY's built-in `bot.start(...)` against the emulator (long polling, 10 s). */
export const EMULATOR_POLLING_OPTIONS = { timeout: 10 } as const;

/** Thrown by method stubs to answer a Bot API error. */
export class BotApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
    this.name = "BotApiError";
  }
}

// ---------------------------------------------------------------------------------------------
// internals

const TOKEN = "123456:ABC-test";
/** The fixed bot identity of the emulator, usable as grammY `botInfo` (no getMe call). */
export const BOT_INFO: UserFromGetMe = {
  id: 123456,
  is_bot: true,
  first_name: "Reply Guy Test",
  username: "reply_guy_test_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

/** The subset of telegram-test-api's TelegramServer used here (its d.ts needs `typegram`, which is not installed). */
interface TestApiCore {
  storage: { userMessages: { updateId: number; messageId: number; callbackId?: number }[]; botMessages: unknown[] };
  addUserMessage(message: Record<string, unknown>): Promise<void>;
  addUserCallback(query: Record<string, unknown>): Promise<void>;
  getUpdates(token: string): unknown[];
  addBotMessage(message: Record<string, unknown>, token: string): unknown;
  editMessageText(message: Record<string, unknown>): void;
  editMessageReplyMarkup(message: Record<string, unknown>): void;
  deleteMessage(chatId: number, messageId: number): boolean;
}

type Json = Record<string, unknown>;
type Keyboard = BotMessageView["inlineKeyboard"];
type Answer =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: Json };

interface BotMessageRecord {
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

interface PendingPoll {
  wake(): void;
  finish(answer: Answer | null): void;
}

interface Waiter {
  check(): void;
  abort(err: Error): void;
}

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

const HTML_TAGS = new Set([
  "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji",
]);

const nowSec = (): number => Math.floor(Date.now() / 1000);

function bad(description: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${description}`);
}

function isJson(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optNumber(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function optString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  return undefined;
}

/** Form bodies carry objects as JSON strings; JSON bodies carry them as objects. */
function parseMaybeJson(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

const NUMERIC_FIELDS = new Set([
  "chat_id", "message_id", "from_chat_id", "reply_to_message_id", "message_thread_id", "user_id",
  "offset", "limit", "timeout", "cache_time", "duration", "width", "height",
]);
const BOOLEAN_FIELDS = new Set([
  "show_alert", "disable_notification", "protect_content", "drop_pending_updates", "allow_sending_without_reply",
  "disable_web_page_preview", "has_spoiler", "supports_streaming", "is_personal", "revoke_messages",
]);

/** Form/query values are strings; give known numeric/boolean fields their JSON types (and parse JSON objects). */
function coerceFormValue(key: string, value: string): unknown {
  if (NUMERIC_FIELDS.has(key) && /^-?\d+$/.test(value.trim())) return Number(value);
  if (BOOLEAN_FIELDS.has(key) && (value === "true" || value === "false")) return value === "true";
  return parseMaybeJson(value);
}

function requireChatId(p: Json): number {
  const id = optNumber(p.chat_id);
  if (id === undefined) {
    if (typeof p.chat_id === "string" && p.chat_id.startsWith("@")) throw bad("chat not found");
    throw bad("chat_id is empty");
  }
  return id;
}

function requireMessageId(p: Json): number {
  const id = optNumber(p.message_id);
  if (id === undefined) throw bad("message identifier is not specified");
  return id;
}

function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), "utf8");
}

/** Validates Telegram HTML like the real parser does for common mistakes; returns the plain-text length. */
function checkHtml(text: string): number {
  const stack: string[] = [];
  let plain = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "<") {
      const end = text.indexOf(">", i);
      if (end < 0) throw bad(`can't parse entities: Unclosed start tag at byte offset ${byteOffset(text, i)}`);
      const inner = text.slice(i + 1, end);
      if (inner.startsWith("/")) {
        const name = inner.slice(1).trim().toLowerCase();
        const open = stack.pop();
        if (open === undefined) throw bad(`can't parse entities: Unexpected end tag at byte offset ${byteOffset(text, i)}`);
        if (name !== open) {
          throw bad(
            `can't parse entities: Unmatched end tag at byte offset ${byteOffset(text, i)}, expected "</${open}>", found "</${name}>"`,
          );
        }
      } else {
        const m = /^([a-zA-Z][a-zA-Z0-9-]*)(\s[\s\S]*)?$/.exec(inner);
        const name = (m?.[1] ?? inner.split(/\s/)[0] ?? "").toLowerCase();
        if (!m || !HTML_TAGS.has(name)) {
          throw bad(`can't parse entities: Unsupported start tag "${name}" at byte offset ${byteOffset(text, i)}`);
        }
        if (name === "span" && !/class\s*=\s*["']?tg-spoiler/.test(m[2] ?? "")) {
          throw bad(`can't parse entities: Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(text, i)}`);
        }
        stack.push(name);
      }
      i = end + 1;
    } else if (ch === "&") {
      const m = /^&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/.exec(text.slice(i, i + 12));
      plain += 1;
      i += m ? m[0].length : 1;
    } else {
      plain += 1;
      i += 1;
    }
  }
  const open = stack.at(-1);
  if (open !== undefined) throw bad(`can't parse entities: Can't find end tag corresponding to start tag "${open}"`);
  return plain;
}

/** Plain length of a text after entity parsing (approximate for Markdown: escapes are not counted). */
function plainLength(text: string, parseMode: string | undefined): number {
  const mode = parseMode?.toLowerCase();
  if (mode === "html") return checkHtml(text);
  if (mode === "markdownv2" || mode === "markdown") return text.replace(/\\(.)/g, "$1").length;
  return text.length;
}

function validateText(text: string | undefined, parseMode: string | undefined, limit: number, what: "text" | "caption"): void {
  if (what === "text" && (text === undefined || text.trim() === "")) throw bad("message text is empty");
  if (text === undefined) return;
  const len = plainLength(text, parseMode);
  if (what === "text" && len === 0) throw bad("message text is empty");
  if (len > limit) throw bad(what === "text" ? "message is too long" : "message caption is too long");
}

function parseKeyboard(markup: unknown): Keyboard {
  if (!isJson(markup) || !Array.isArray(markup.inline_keyboard)) return [];
  const rows: Keyboard = [];
  for (const row of markup.inline_keyboard) {
    if (!Array.isArray(row)) throw bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
    const out: Keyboard[number] = [];
    for (const b of row) {
      if (!isJson(b) || typeof b.text !== "string") throw bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      const button: Keyboard[number][number] = { text: b.text };
      if (typeof b.callback_data === "string") {
        const size = Buffer.byteLength(b.callback_data, "utf8");
        if (size < 1 || size > 64) throw bad("BUTTON_DATA_INVALID");
        button.callbackData = b.callback_data;
      }
      if (typeof b.url === "string") button.url = b.url;
      out.push(button);
    }
    rows.push(out);
  }
  return rows;
}

function keyboardToMarkup(kb: Keyboard): Json | undefined {
  if (kb.length === 0) return undefined;
  return {
    inline_keyboard: kb.map((row) =>
      row.map((b) => ({
        text: b.text,
        ...(b.callbackData !== undefined ? { callback_data: b.callbackData } : {}),
        ...(b.url !== undefined ? { url: b.url } : {}),
      })),
    ),
  };
}

function userObject(u: EmulatorUser): Json {
  return {
    id: u.id,
    is_bot: u.is_bot ?? false,
    first_name: u.first_name ?? `User${u.id}`,
    ...(u.username !== undefined ? { username: u.username } : {}),
  };
}

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Parses JSON, urlencoded and multipart bodies (plus query parameters) into a payload. */
async function parsePayload(req: IncomingMessage, url: URL): Promise<Json> {
  const payload: Json = {};
  for (const [k, v] of url.searchParams) payload[k] = coerceFormValue(k, v);
  const body = await readBody(req);
  if (body.length === 0) return payload;
  const rawType = req.headers["content-type"] ?? "";
  const type = rawType.toLowerCase();
  if (type.includes("application/json")) {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (!isJson(parsed)) throw new Error("JSON body is not an object");
    return { ...payload, ...parsed };
  }
  if (type.includes("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) payload[k] = coerceFormValue(k, v);
    return payload;
  }
  if (type.includes("multipart/form-data")) return { ...payload, ...parseMultipart(body, rawType) };
  throw new Error(`unsupported content-type "${type}"`);
}

/**
 * Lenient multipart/form-data parser. grammY's encoder writes `content-disposition:form-data;name="x"`
 * and unquoted `filename=a.png`, which undici's `Response.formData()` rejects. Files become
 * `{ file, size, type }`; `attach://id` field values are replaced by the attached file.
 */
function parseMultipart(body: Buffer, rawType: string): Json {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(rawType);
  const boundary = m?.[1] ?? m?.[2]?.trim();
  if (!boundary) throw new Error("multipart body without boundary");
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Json = {};
  const files = new Map<string, Json>();
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString("latin1") === "--") break;
    if (body.subarray(start, start + 2).toString("latin1") === "\r\n") start += 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, Math.max(start, next - 2)); // drop the CRLF before the delimiter
    const sep = part.indexOf("\r\n\r\n");
    const head = sep < 0 ? "" : part.subarray(0, sep).toString("utf8");
    const content = sep < 0 ? part : part.subarray(sep + 4);
    const name = /[;:\s]name=(?:"([^"]*)"|([^;\r\n]*))/i.exec(head);
    const filename = /filename=(?:"([^"]*)"|([^;\r\n]*))/i.exec(head);
    const key = name?.[1] ?? name?.[2]?.trim();
    if (key !== undefined) {
      if (filename) {
        const ctype = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
        files.set(key, { file: filename[1] ?? filename[2]?.trim() ?? "", size: content.length, ...(ctype ? { type: ctype } : {}) });
      } else fields[key] = coerceFormValue(key, content.toString("utf8"));
    }
    pos = next;
  }
  const attached = new Set<string>();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v !== "string" || !v.startsWith("attach://")) continue;
    const id = v.slice("attach://".length);
    const file = files.get(id);
    if (file) {
      fields[k] = file;
      attached.add(id);
    }
  }
  for (const [k, f] of files) if (!attached.has(k) && !(k in fields)) fields[k] = f;
  return fields;
}

function describeView(m: BotMessageView): string {
  const buttons = m.inlineKeyboard.map((row) => row.map((b) => `${b.text}${b.callbackData !== undefined ? `=${b.callbackData}` : ""}`).join(" | ")).join(" / ");
  const text = m.text.length > 200 ? `${m.text.slice(0, 200)}…` : m.text;
  return `  #${m.messageId} chat ${m.chatId} ${m.kind}${m.editCount > 0 ? ` (edited ${m.editCount}×)` : ""}: ${JSON.stringify(text)}${buttons ? ` [${buttons}]` : ""}`;
}

/** Starts an emulator on 127.0.0.1 with a random free port. */
export async function startTelegramEmulator(): Promise<TelegramEmulator> {
  const raw = new TelegramServer({ host: "127.0.0.1", storeTimeout: 24 * 60 * 60 });
  const core = raw as unknown as TestApiCore;

  let apiRoot = "";
  let down = false;
  let closed = false;
  let calls: RecordedCall[] = [];
  let records: BotMessageRecord[] = [];
  let userMessages = new Map<string, Json>();
  let chats = new Map<number, Json>();
  let callbackIds = new Set<string>();
  let pressChain: Promise<void> = Promise.resolve();
  let answers: CallbackAnswer[] = [];
  let faults = new Map<string, { fault: EmulatorFault; remaining: number }[]>();
  let stubs = new Map<string, MethodStub>();
  let commands = new Map<string, unknown>();
  /** Delivered but not yet confirmed (by a later `offset`) updates, like Telegram keeps them. */
  let unconfirmed: Json[] = [];
  const polls = new Set<PendingPoll>();
  const waiters = new Set<Waiter>();

  const key = (chatId: number, messageId: number): string => `${chatId}:${messageId}`;
  const notify = (): void => {
    for (const w of [...waiters]) w.check();
  };

  function chatObject(chatId: number): Json {
    const known = chats.get(chatId);
    if (known) return known;
    if (chatId > 0) return { id: chatId, type: "private", first_name: `User${chatId}` };
    return { id: chatId, type: chatId <= -1_000_000_000_000 ? "supergroup" : "group", title: `Group ${chatId}` };
  }

  function rememberChat(chat: EmulatorChat | undefined, from: EmulatorUser): Json {
    if (!chat || chat.type === "private") {
      const id = chat?.id ?? from.id;
      const obj: Json = { id, type: "private", first_name: from.first_name ?? `User${from.id}` };
      if (from.username !== undefined) obj.username = from.username;
      chats.set(id, obj);
      return obj;
    }
    const obj: Json = { id: chat.id, type: chat.type, title: chat.title ?? `Group ${chat.id}` };
    chats.set(chat.id, obj);
    return obj;
  }

  const botFrom = (): Json => ({ id: BOT_INFO.id, is_bot: true, first_name: BOT_INFO.first_name, username: BOT_INFO.username });

  function toMessage(r: BotMessageRecord): Json {
    const msg: Json = { message_id: r.messageId, from: botFrom(), chat: chatObject(r.chatId), date: r.date };
    if (r.editDate !== undefined) msg.edit_date = r.editDate;
    if (r.kind === "text") msg.text = r.text;
    else {
      Object.assign(msg, r.media ?? {});
      if (r.text !== "") msg.caption = r.text;
    }
    const markup = keyboardToMarkup(r.inlineKeyboard);
    if (markup) msg.reply_markup = markup;
    if (r.replyToMessageId !== undefined) {
      const replied = findMessage(r.chatId, r.replyToMessageId);
      if (replied) msg.reply_to_message = replied;
    }
    return msg;
  }

  function view(r: BotMessageRecord): BotMessageView {
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

  const findRecord = (chatId: number, messageId: number): BotMessageRecord | undefined =>
    records.find((r) => r.chatId === chatId && r.messageId === messageId && !r.deleted);

  function findMessage(chatId: number, messageId: number): Json | undefined {
    const r = findRecord(chatId, messageId);
    if (r) {
      const { reply_to_message: _nested, ...flat } = toMessage(r);
      return flat;
    }
    return userMessages.get(key(chatId, messageId));
  }

  function replyTarget(p: Json): number | undefined {
    const params = parseMaybeJson(p.reply_parameters);
    if (isJson(params)) return optNumber(params.message_id);
    return optNumber(p.reply_to_message_id);
  }

  function requireRecord(p: Json, action: "edit" | "delete"): BotMessageRecord {
    const r = findRecord(requireChatId(p), requireMessageId(p));
    if (!r) throw bad(action === "edit" ? "message to edit not found" : "message to delete not found");
    return r;
  }

  // ------------------------------------------------------------------ method handlers

  function sendMessageLike(p: Json, kind: string): Json {
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
    if (replyTo !== undefined && !findMessage(chatId, replyTo)) {
      const params = parseMaybeJson(p.reply_parameters);
      const allowWithout = isJson(params) ? params.allow_sending_without_reply === true : p.allow_sending_without_reply === true;
      if (!allowWithout) throw bad("message to be replied not found");
    }
    // Let telegram-test-api allocate the message_id (and keep its own storage in sync).
    const stored = core.addBotMessage({ ...p, chat_id: chatId, text, reply_markup: replyMarkup }, TOKEN);
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
    if (replyTo !== undefined && findMessage(chatId, replyTo)) record.replyToMessageId = replyTo;
    if (media) record.media = media;
    records.push(record);
    notify();
    return toMessage(record);
  }

  function notModified(r: BotMessageRecord, text: string, kb: Keyboard): boolean {
    return r.text === text && JSON.stringify(r.inlineKeyboard) === JSON.stringify(kb);
  }

  function applyEdit(r: BotMessageRecord, text: string, parseMode: string | undefined, markup: unknown, kb: Keyboard): Json {
    r.text = text;
    if (parseMode !== undefined) r.parseMode = parseMode;
    else delete r.parseMode;
    if (kb.length > 0) r.replyMarkup = markup;
    else delete r.replyMarkup;
    r.inlineKeyboard = kb;
    r.editCount += 1;
    r.editDate = nowSec();
    notify();
    return toMessage(r);
  }

  function editText(p: Json, field: "text" | "caption"): unknown {
    const parseMode = optString(p.parse_mode);
    const text = optString(p[field]);
    validateText(text, parseMode, field === "text" ? 4096 : 1024, field);
    const markup = parseMaybeJson(p.reply_markup);
    const kb = parseKeyboard(markup); // Telegram drops the keyboard when reply_markup is omitted.
    if (p.inline_message_id !== undefined) return true;
    const r = requireRecord(p, "edit");
    if (field === "text" && r.kind !== "text") throw bad("there is no text in the message to edit");
    if (field === "caption" && r.kind === "text") throw bad("there is no caption in the message to edit");
    if (notModified(r, text ?? "", kb)) {
      throw bad("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
    }
    if (field === "text") core.editMessageText({ ...p, chat_id: r.chatId, message_id: r.messageId });
    return applyEdit(r, text ?? "", parseMode, markup, kb);
  }

  function editReplyMarkup(p: Json): unknown {
    const markup = parseMaybeJson(p.reply_markup);
    const kb = parseKeyboard(markup);
    if (p.inline_message_id !== undefined) return true;
    const r = requireRecord(p, "edit");
    if (notModified(r, r.text, kb)) {
      throw bad("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
    }
    core.editMessageReplyMarkup({ ...p, chat_id: r.chatId, message_id: r.messageId });
    return applyEdit(r, r.text, r.parseMode, markup, kb);
  }

  function deleteOne(chatId: number, messageId: number): boolean {
    const r = findRecord(chatId, messageId);
    const userKey = key(chatId, messageId);
    if (!r && !userMessages.has(userKey)) return false;
    if (r) r.deleted = true;
    userMessages.delete(userKey);
    core.deleteMessage(chatId, messageId);
    notify();
    return true;
  }

  function answerCallback(p: Json): unknown {
    const id = optString(p.callback_query_id);
    if (id === undefined || !callbackIds.has(id)) {
      throw bad("query is too old and response timeout expired or query ID is invalid");
    }
    const a: CallbackAnswer = { callbackQueryId: id };
    const text = optString(p.text);
    if (text !== undefined) a.text = text;
    if (p.show_alert !== undefined) a.showAlert = p.show_alert === true || p.show_alert === "true";
    answers.push(a);
    notify();
    return true;
  }

  /** Moves newly queued updates from telegram-test-api into the unconfirmed list, in Telegram's shape. */
  function pullUpdates(): void {
    for (const u of core.getUpdates(TOKEN)) {
      if (!isJson(u)) continue;
      if (isJson(u.message)) {
        const { botToken: _t, ...message } = u.message;
        unconfirmed.push({ ...u, message });
      } else if (isJson(u.callback_query)) {
        const q = u.callback_query;
        const chat = isJson(q.message) && isJson(q.message.chat) ? q.message.chat.id : 0;
        unconfirmed.push({ ...u, callback_query: { ...q, chat_instance: `ci${String(chat)}` } });
      } else unconfirmed.push(u);
    }
  }

  async function getUpdates(p: Json, res: ServerResponse): Promise<Answer | null> {
    const offset = optNumber(p.offset) ?? 0;
    const limit = Math.min(100, Math.max(1, optNumber(p.limit) ?? 100));
    const timeout = Math.max(0, optNumber(p.timeout) ?? 0);
    if (offset > 0) unconfirmed = unconfirmed.filter((u) => (optNumber(u.update_id) ?? 0) >= offset);
    pullUpdates();
    if (unconfirmed.length > 0 || timeout === 0 || closed) return { ok: true, result: unconfirmed.slice(0, limit) };
    // Like Telegram: a newer getUpdates terminates an older pending one (catches leaked bots).
    for (const old of [...polls]) {
      old.finish({
        ok: false,
        error_code: 409,
        description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
      });
    }
    return new Promise<Answer | null>((resolve) => {
      const poll: PendingPoll = {
        wake: () => {
          pullUpdates();
          if (unconfirmed.length > 0) poll.finish({ ok: true, result: unconfirmed.slice(0, limit) });
        },
        finish: (answer) => {
          if (!polls.delete(poll)) return;
          clearTimeout(timer);
          resolve(answer);
        },
      };
      const timer = setTimeout(() => poll.finish({ ok: true, result: [] }), Math.min(timeout, 60) * 1000);
      res.once("close", () => poll.finish(null)); // the bot aborted (e.g. runner stop)
      polls.add(poll);
    });
  }

  async function dispatch(method: string, lower: string, p: Json, res: ServerResponse): Promise<Answer | null> {
    const stub = stubs.get(lower);
    if (stub) return { ok: true, result: typeof stub === "function" ? stub(p) : stub.result };
    const kind = MEDIA_METHODS[lower];
    if (kind !== undefined) return { ok: true, result: sendMessageLike(p, kind) };
    switch (lower) {
      case "getupdates":
        return getUpdates(p, res);
      case "getme":
        return { ok: true, result: BOT_INFO };
      case "sendmessage":
        return { ok: true, result: sendMessageLike(p, "text") };
      case "editmessagetext":
        return { ok: true, result: editText(p, "text") };
      case "editmessagecaption":
        return { ok: true, result: editText(p, "caption") };
      case "editmessagereplymarkup":
        return { ok: true, result: editReplyMarkup(p) };
      case "deletemessage":
        if (!deleteOne(requireChatId(p), requireMessageId(p))) throw bad("message to delete not found");
        return { ok: true, result: true };
      case "deletemessages": {
        const chatId = requireChatId(p);
        const ids = parseMaybeJson(p.message_ids);
        if (!Array.isArray(ids)) throw bad("message identifiers are not specified");
        for (const id of ids) {
          const n = optNumber(id);
          if (n !== undefined) deleteOne(chatId, n);
        }
        return { ok: true, result: true };
      }
      case "answercallbackquery":
        return { ok: true, result: answerCallback(p) };
      case "deletewebhook":
        if (p.drop_pending_updates === true || p.drop_pending_updates === "true") {
          pullUpdates();
          unconfirmed = [];
        }
        return { ok: true, result: true };
      case "getwebhookinfo":
        pullUpdates();
        return { ok: true, result: { url: "", has_custom_certificate: false, pending_update_count: unconfirmed.length } };
      case "setmycommands":
        commands.set(JSON.stringify([parseMaybeJson(p.scope) ?? null, p.language_code ?? ""]), parseMaybeJson(p.commands));
        return { ok: true, result: true };
      case "deletemycommands":
        commands.delete(JSON.stringify([parseMaybeJson(p.scope) ?? null, p.language_code ?? ""]));
        return { ok: true, result: true };
      case "getmycommands":
        return { ok: true, result: commands.get(JSON.stringify([parseMaybeJson(p.scope) ?? null, p.language_code ?? ""])) ?? [] };
      case "getchat":
        return { ok: true, result: { ...chatObject(requireChatId(p)), accent_color_id: 0, max_reaction_count: 11 } };
      default:
        if (TRUE_METHODS.has(lower)) return { ok: true, result: true };
        throw new BotApiError(404, `Not Found: method ${method} is not emulated (use stubMethod)`);
    }
  }

  function takeFault(lower: string): EmulatorFault | undefined {
    const queue = faults.get(lower);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  }

  function faultAnswer(fault: { status: number; retryAfter?: number; description?: string }): Answer {
    if (fault.status === 429) {
      const retryAfter = fault.retryAfter ?? 1;
      return {
        ok: false,
        error_code: 429,
        description: fault.description ?? `Too Many Requests: retry after ${retryAfter}`,
        parameters: { retry_after: retryAfter },
      };
    }
    const defaults: Record<number, string> = {
      400: "Bad Request: injected fault",
      403: "Forbidden: bot was blocked by the user",
      500: "Internal Server Error",
      502: "Bad Gateway",
    };
    return { ok: false, error_code: fault.status, description: fault.description ?? defaults[fault.status] ?? "Error" };
  }

  function write(res: ServerResponse, call: RecordedCall | undefined, answer: Answer): void {
    if (call) {
      call.ok = answer.ok;
      if (answer.ok) call.result = answer.result;
      else {
        call.errorCode = answer.error_code;
        call.description = answer.description;
      }
      notify();
    }
    if (res.writableEnded || res.destroyed) return;
    const body = JSON.stringify(answer);
    const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    if (!answer.ok && isJson(answer.parameters) && typeof answer.parameters.retry_after === "number") {
      headers["retry-after"] = answer.parameters.retry_after;
    }
    res.writeHead(answer.ok ? 200 : answer.error_code, headers);
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const match = /^\/bot([^/]+)\/([A-Za-z0-9_]+)\/?$/.exec(url.pathname);
    if (!match) {
      write(res, undefined, { ok: false, error_code: 404, description: "Not Found" });
      return;
    }
    const [, token = "", method = ""] = match;
    const lower = method.toLowerCase();
    let payload: Json;
    try {
      payload = await parsePayload(req, url);
    } catch (e) {
      const call: RecordedCall = { method, payload: {}, at: Date.now() };
      calls.push(call);
      write(res, call, { ok: false, error_code: 400, description: `Bad Request: can't parse request body: ${String(e)}` });
      return;
    }
    const call: RecordedCall = { method, payload, at: Date.now() };
    calls.push(call);
    if (token !== TOKEN) {
      write(res, call, { ok: false, error_code: 401, description: "Unauthorized" });
      return;
    }
    if (down) {
      write(res, call, faultAnswer({ status: 502 }));
      return;
    }
    const fault = takeFault(lower);
    if (fault && "delayMs" in fault) await sleep(fault.delayMs);
    else if (fault) {
      write(res, call, faultAnswer(fault));
      return;
    }
    let answer: Answer | null;
    try {
      answer = await dispatch(method, lower, payload, res);
    } catch (e) {
      answer =
        e instanceof BotApiError
          ? {
              ok: false,
              error_code: e.errorCode,
              description: e.description,
              ...(e.parameters ? { parameters: { ...e.parameters } } : {}),
            }
          : { ok: false, error_code: 500, description: `Internal Server Error: emulator failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
    }
    if (answer) write(res, call, answer);
    else {
      call.ok = false;
      call.description = "aborted by client";
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error_code: 500, description: `emulator failure: ${String(e)}` }));
      }
    });
  });
  server.keepAliveTimeout = 60_000; // long, to avoid the idle-socket reuse race (ECONNRESET); close() destroys sockets anyway
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  apiRoot = `http://127.0.0.1:${port}`;
  // Keep the library's own config truthful (its getClient() would otherwise point at :9000).
  raw.config.port = port;
  raw.config.apiURL = apiRoot;

  function waitFor<T>(check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        waiters.delete(waiter);
        clearTimeout(timer);
      };
      const waiter: Waiter = {
        check: () => {
          let value: T | undefined;
          try {
            value = check();
          } catch (e) {
            done();
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          if (value !== undefined) {
            done();
            resolve(value);
          }
        },
        abort: (err) => {
          done();
          reject(err);
        },
      };
      const timer = setTimeout(() => waiter.abort(new Error(describe())), timeoutMs);
      waiters.add(waiter);
      waiter.check();
    });
  }

  function failedCallsSummary(): string {
    const failed = calls.filter((c) => c.ok === false).slice(-5);
    if (failed.length === 0) return "";
    return `\nRecent failed Bot API calls:\n${failed.map((c) => `  ${c.method} → ${c.errorCode ?? "?"} ${c.description ?? ""}`).join("\n")}`;
  }

  const emulator: TelegramEmulator = {
    apiRoot,
    token: TOKEN,
    botInfo: BOT_INFO,
    botConfig: { botInfo: BOT_INFO, client: { apiRoot } },
    raw,

    async sendText({ from, chat, text, senderChat, replyToMessageId }) {
      const chatObj = rememberChat(chat, from);
      const chatId = optNumber(chatObj.id) ?? from.id;
      const message: Json = { botToken: TOKEN, from: userObject(from), chat: chatObj, date: nowSec(), text };
      const entities = commandEntities(text);
      if (entities.length > 0) message.entities = entities;
      if (senderChat) message.sender_chat = { id: senderChat.id, type: senderChat.type, title: senderChat.title ?? `Chat ${senderChat.id}` };
      if (replyToMessageId !== undefined) {
        const replied = findMessage(chatId, replyToMessageId);
        if (!replied) throw new Error(`sendText: message ${replyToMessageId} not found in chat ${chatId}`);
        message.reply_to_message = replied;
      }
      const pending = core.addUserMessage(message);
      const entry = core.storage.userMessages.at(-1); // pushed synchronously by addUserMessage
      await pending;
      if (!entry) throw new Error("telegram-test-api did not store the user message");
      const { botToken: _t, ...stored } = message;
      userMessages.set(key(chatId, entry.messageId), { ...stored, message_id: entry.messageId });
      for (const p of [...polls]) p.wake();
      return entry.messageId;
    },

    async pressButton({ from, chat, messageId, data, force }) {
      const record = records.find((r) => r.messageId === messageId && (chat === undefined || r.chatId === chat.id));
      const listing = (): string => emulator.botMessages().map(describeView).join("\n") || "  (none)";
      if (!force) {
        if (!record || record.deleted) throw new Error(`pressButton: bot message ${messageId} not found${record?.deleted ? " (deleted)" : ""}. Bot messages:\n${listing()}`);
        if (!record.inlineKeyboard.some((row) => row.some((b) => b.callbackData === data))) {
          throw new Error(`pressButton: message ${messageId} has no button with callback_data ${JSON.stringify(data)}. Bot messages:\n${listing()}`);
        }
      }
      const message = record
        ? toMessage(record)
        : { message_id: messageId, from: botFrom(), chat: chat ? chatObject(chat.id) : chatObject(from.id), date: nowSec(), text: "" };
      // telegram-test-api bumps its callback id only after an await: concurrent presses would share
      // one id, so presses are serialised.
      const previous = pressChain;
      let release = (): void => undefined;
      pressChain = new Promise<void>((resolve) => (release = resolve));
      await previous;
      let entry: (typeof core.storage.userMessages)[number] | undefined;
      try {
        const pending = core.addUserCallback({ botToken: TOKEN, from: userObject(from), message, data });
        entry = core.storage.userMessages.at(-1);
        await pending;
      } finally {
        release();
      }
      if (entry?.callbackId === undefined) throw new Error("telegram-test-api did not store the callback query");
      const id = String(entry.callbackId);
      callbackIds.add(id);
      for (const p of [...polls]) p.wake();
      return id;
    },

    botMessages(chatId) {
      return records.filter((r) => !r.deleted && (chatId === undefined || r.chatId === chatId)).map(view);
    },

    waitForBotMessage(predicate, timeoutMs = 5000) {
      return waitFor(
        () => emulator.botMessages().find(predicate),
        timeoutMs,
        () =>
          `waitForBotMessage: no bot message matched within ${timeoutMs} ms. Bot messages (${emulator.botMessages().length}):\n${
            emulator.botMessages().map(describeView).join("\n") || "  (none)"
          }${failedCallsSummary()}`,
      );
    },

    callbackAnswers() {
      return answers.map((a) => ({ ...a }));
    },

    waitForCallbackAnswer(callbackQueryId, timeoutMs = 5000) {
      return waitFor(
        () => {
          const a = answers.find((x) => x.callbackQueryId === callbackQueryId);
          if (!a) return undefined;
          const out: { text?: string; showAlert?: boolean } = {};
          if (a.text !== undefined) out.text = a.text;
          if (a.showAlert !== undefined) out.showAlert = a.showAlert;
          return out;
        },
        timeoutMs,
        () =>
          `waitForCallbackAnswer: callback query ${callbackQueryId} not answered within ${timeoutMs} ms. Answers so far: ${JSON.stringify(answers)}${failedCallsSummary()}`,
      );
    },

    calls(method) {
      const lower = method?.toLowerCase();
      return calls.filter((c) => (lower === undefined ? c.method.toLowerCase() !== "getupdates" : c.method.toLowerCase() === lower));
    },

    waitForCall(method, predicate = () => true, timeoutMs = 5000) {
      return waitFor(
        () => emulator.calls(method).find((c) => c.ok !== undefined && predicate(c)),
        timeoutMs,
        () => `waitForCall: no answered ${method} call matched within ${timeoutMs} ms. Calls: ${emulator.calls().map((c) => c.method).join(", ")}`,
      );
    },

    injectFault(method, fault, times = 1) {
      const lower = method.toLowerCase();
      const queue = faults.get(lower) ?? [];
      queue.push({ fault, remaining: times });
      faults.set(lower, queue);
    },

    stubMethod(method, stub) {
      if (stub === undefined) stubs.delete(method.toLowerCase());
      else stubs.set(method.toLowerCase(), stub);
    },

    setDown(value) {
      down = value;
      if (value) for (const p of [...polls]) p.finish(faultAnswer({ status: 502 }));
    },

    reset() {
      down = false;
      calls = [];
      records = [];
      userMessages = new Map();
      chats = new Map();
      callbackIds = new Set();
      answers = [];
      faults = new Map();
      stubs = new Map();
      commands = new Map();
      core.getUpdates(TOKEN); // drain the library's queue
      unconfirmed = [];
      core.storage.userMessages = [];
      core.storage.botMessages = [];
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const p of [...polls]) p.finish({ ok: true, result: [] });
      for (const w of [...waiters]) w.abort(new Error("Telegram emulator closed"));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return emulator;
}
