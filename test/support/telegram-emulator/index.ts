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
 * - let test users send media (`sendMedia`: photo sizes, GIF-as-MP4 animations, videos, documents) whose files
 *   the bot reads with getFile (refused over 20 MB like the cloud Bot API, or `fileDownloadLimitBytes`) and
 *   downloads from `/file/bot<token>/<file_path>`;
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
export { BOT_INFO, EMULATOR_POLLING_OPTIONS, EMULATOR_RUNNER_OPTIONS } from "./options.js";
export { CLOUD_BOT_API_DOWNLOAD_LIMIT, generatedByte } from "./files.js";
export { startTelegramEmulator } from "./server.js";
export {
  BotApiError,
  type BotMessageView,
  type CallbackAnswer,
  type EmulatorChat,
  type EmulatorFault,
  type EmulatorFileContent,
  type EmulatorMedia,
  type EmulatorUser,
  type MethodStub,
  type RecordedCall,
  type SentMedia,
  type TelegramEmulator,
  type TelegramEmulatorOptions,
} from "./types.js";
