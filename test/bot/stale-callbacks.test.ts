/**
 * Every button press is answered, through the whole bot as the app builds it: a press that still
 * parses but points at something gone gets its feature's short reason, and malformed, foreign or
 * outdated data falls through every feature's filter to the catch-all, which answers it too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STALE_BUTTON_TEXT } from "../../src/bot/features/unhandled.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

describe("stale and malformed button presses", () => {
  let tg: TelegramEmulator;
  let app: TestApp;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    app = await startTestApp(tg);
    await tg.waitForBotMessage((m) => m.text.includes("Recovery report"));
  });
  afterAll(async () => {
    await app.stop();
    await tg.close();
  });

  /** Presses `data` on a fresh message (as an old client would) and resolves with the answer's text. */
  async function press(data: string): Promise<string | undefined> {
    const message = await app.app.bot.api.sendMessage(ADMIN_CHAT.id, "old message", {
      reply_markup: { inline_keyboard: [[{ text: "old button", callback_data: "v1:hr" }]] },
    });
    const queryId = await tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: message.message_id, data, force: true });
    const answer = await tg.waitForCallbackAnswer(queryId);
    return answer.text;
  }

  it.each([
    ["review: approve a reply that is gone", "v1:a:424242:1", "This reply no longer exists."],
    ["review: reject a reply that is gone", "v1:r:424242:1", "This reply no longer exists."],
    ["review: edit a reply that is gone", "v1:e:424242:1", "This reply no longer exists."],
    ["review: regenerate (answered before the model is asked)", "v1:g:424242:1", "Asking the model for a new draft…"],
    ["dlq: retry an entry that is gone", "v1:dr:424242", "There is no dead letter #424242."],
    ["dlq: discard an entry that is gone", "v1:dd:424242", "There is no dead letter #424242."],
    ["health: reset a breaker that does not exist", "v1:br:x:nope", "No breaker named x:nope."],
    ["health: refresh", "v1:hr", "Refreshed."],
  ])("%s (%s) is answered by its feature", async (_name, data, text) => {
    expect(await press(data)).toBe(text);
  });

  it("queue: a page past the end is answered and shows the last page", async () => {
    expect(await press("v1:q:99")).toBeUndefined();
    await tg.waitForBotMessage((m) => m.text.startsWith("<b>Queue</b>: 0 open (page 1/1)"));
  });

  it.each([
    "v1:a:424242",
    "v1:a:1:1:1",
    "v1:r:x:1",
    "v1:e:-1:1",
    "v1:g:99999999999:1",
    "v1:q:x",
    "v1:q:1:2",
    "v1:dr:1:2",
    "v1:dd:",
    "v1:hr:1",
    "v1:br:",
    "v1:br:bad name",
    "v0:a:1:1",
    "v0:hr",
    "v2:q:1",
    "garbage",
  ])("malformed, foreign or outdated %j gets the catch-all answer", async (data) => {
    expect(await press(data)).toBe(STALE_BUTTON_TEXT);
  });
});
