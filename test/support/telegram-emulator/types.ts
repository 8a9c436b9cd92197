// Public types of the Telegram emulator: what tests see.
import type { UserFromGetMe } from "grammy/types";
import type { TelegramServer } from "telegram-test-api/lib/telegramServer.js";

/** A Telegram user as the emulator sends it in updates (`first_name` defaults to "User<id>"). */
export interface EmulatorUser {
  id: number;
  first_name?: string;
  username?: string;
  is_bot?: boolean;
}

/** A chat a user writes in (or a channel whose posts carry buttons); omit for the private chat with the user. */
export interface EmulatorChat {
  id: number;
  type: "private" | "group" | "supergroup" | "channel";
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

/**
 * A fault for {@link TelegramEmulator.injectFault}: an error answer, an extra delay before the normal answer, or
 * `hangAfterDelivery`: the call is carried out (a sent message is in the chat) but no answer ever comes, until the
 * caller gives up the connection (e.g. its process is killed) — the window between sendMessage and its answer.
 */
export type EmulatorFault =
  | { status: 429; retryAfter: number; description?: string }
  | { status: 500 | 502 | 400 | 403; description?: string }
  | { delayMs: number }
  | { hangAfterDelivery: true };

/** File content of {@link EmulatorMedia}: real `bytes`, or only a declared `size` (generated on download, never held in memory). */
export type EmulatorFileContent = { bytes: Uint8Array; size?: never } | { size: number; bytes?: never };

/**
 * A medium a user sends, as Telegram delivers it: a `photo` (several `PhotoSize`s, largest last = the original), an
 * `animation` (a GIF, which Telegram turns into an MP4: `animation` + `document` fields, mime_type video/mp4), a
 * `video` (mp4 or quicktime) or a `document` (any file, e.g. image/gif or image/webp sent as a file).
 */
export type EmulatorMedia = EmulatorFileContent &
  (
    | { kind: "photo"; width?: number; height?: number }
    | { kind: "animation"; width?: number; height?: number; duration?: number; fileName?: string }
    | { kind: "video"; mimeType?: "video/mp4" | "video/quicktime"; width?: number; height?: number; duration?: number; fileName?: string }
    | { kind: "document"; mimeType: string; fileName?: string }
  );

/** What {@link TelegramEmulator.sendMedia} returns: the message and its main file (the original photo size). */
export interface SentMedia {
  messageId: number;
  fileId: string;
  fileUniqueId: string;
  filePath: string;
}

/** Options of {@link startTelegramEmulator}. */
export interface TelegramEmulatorOptions {
  /**
   * Largest file getFile hands out (default 20 MB, the cloud Bot API's limit; `Infinity` emulates a local Bot API
   * server, which serves files of any size).
   */
  fileDownloadLimitBytes?: number;
}

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
   * A user sends a photo, GIF (animation), video or document, with an optional caption; the emulator keeps the file
   * so the bot can getFile it and download it from `${apiRoot}/file/bot<token>/<file_path>`.
   */
  sendMedia(opts: {
    from: EmulatorUser;
    chat?: EmulatorChat;
    media: EmulatorMedia;
    caption?: string;
    replyToMessageId?: number;
  }): Promise<SentMedia>;
  /** Change getFile's size limit (`Infinity`: local Bot API server); `reset()` restores the start option. */
  setFileDownloadLimit(bytes: number): void;
  /** The file paths the bot downloaded, in order. */
  fileDownloads(): string[];
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
  /** Every answer's `Date` header runs this many ms ahead of this machine's clock (negative: behind); `reset()` clears it. */
  setClockOffset(ms: number): void;
  /** While down every method answers HTTP 502 {ok:false,error_code:502}; pending long polls are cut with 502. */
  setDown(down: boolean): void;
  /** Forget messages, files, downloads, calls, callback answers, faults, stubs, chats and queued updates; clears `down` and the clock offset. */
  reset(): void;
  /** Answers pending long polls with [], closes all connections and the server. Stop bots first. */
  close(): Promise<void>;
}

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
