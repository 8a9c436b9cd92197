import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS_ADMIN_BOT_ID } from "../../src/config.js";
import { BOT_COMMANDS } from "../../src/bot/commands.js";
import { REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { ADMIN, ADMIN_CHAT, STRANGER, startTestApp, type TestApp } from "../support/app-harness.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

describe("bot core: admin guard, /help, command menu", () => {
  let tg: TelegramEmulator;
  let app: TestApp;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    app = await startTestApp(tg);
    await tg.waitForBotMessage((m) => m.text.includes("Recovery report"));
  });
  afterEach(() => {
    tg.reset();
  });
  afterAll(async () => {
    await app.stop();
    await tg.close();
  });

  it("registers the command menu at boot", async () => {
    const call = await tg.waitForCall("setMyCommands");
    expect(call.payload.commands).toEqual(BOT_COMMANDS);
  });

  it("answers an admin's /help with every command", async () => {
    await tg.sendText({ from: ADMIN, text: "/help" });
    const reply = await tg.waitForBotMessage((m) => m.chatId === ADMIN.id);
    for (const { command } of BOT_COMMANDS) expect(reply.text).toContain(`/${command}`);
  });

  it("answers /help in the admin group for an admin", async () => {
    await tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/start" });
    const reply = await tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id);
    expect(reply.text).toContain("/help");
  });

  it("refuses a stranger's command in private with one short line and nothing else", async () => {
    await tg.sendText({ from: STRANGER, text: "/help" });
    const reply = await tg.waitForBotMessage((m) => m.chatId === STRANGER.id);
    expect(reply.text).toBe(REFUSAL_TEXT);
    await tg.sendText({ from: ADMIN, text: "/help" });
    await tg.waitForBotMessage((m) => m.chatId === ADMIN.id);
    expect(tg.botMessages(STRANGER.id)).toHaveLength(1);
  });

  it("stays silent to a stranger in a group", async () => {
    await tg.sendText({ from: STRANGER, chat: ADMIN_CHAT, text: "/help" });
    await tg.sendText({ from: ADMIN, text: "/help" });
    await tg.waitForBotMessage((m) => m.chatId === ADMIN.id);
    expect(tg.botMessages(ADMIN_CHAT.id).filter((m) => !m.text.includes("Recovery report"))).toHaveLength(0);
  });

  it("answers a stranger's button press with a refusal and changes nothing", async () => {
    // Another stranger than the one refused above: each is refused aloud once per hour.
    const mallory = { id: 6667, first_name: "Mallory" };
    await app.app.bot.api.sendMessage(ADMIN_CHAT.id, "card", {
      reply_markup: { inline_keyboard: [[{ text: "Approve", callback_data: "v1:a:1" }]] },
    });
    const card = await tg.waitForBotMessage((m) => m.text === "card");
    const queryId = await tg.pressButton({ from: mallory, chat: ADMIN_CHAT, messageId: card.messageId, data: "v1:a:1" });
    const answer = await tg.waitForCallbackAnswer(queryId);
    expect(answer.text).toBe(REFUSAL_TEXT);
    expect(tg.botMessages(ADMIN_CHAT.id)).toEqual([expect.objectContaining({ text: "card", editCount: 0 })]);
  });

  it("ignores an anonymous admin of the admin group while ANONYMOUS_ADMINS is false (the default)", async () => {
    const anonymous = { id: ANONYMOUS_ADMIN_BOT_ID, first_name: "Group", username: "GroupAnonymousBot", is_bot: true };
    await tg.sendText({ from: anonymous, chat: ADMIN_CHAT, senderChat: ADMIN_CHAT, text: "/help" });
    await tg.sendText({ from: ADMIN, text: "/help" });
    await tg.waitForBotMessage((m) => m.chatId === ADMIN.id);
    expect(tg.botMessages(ADMIN_CHAT.id).filter((m) => !m.text.includes("Recovery report"))).toHaveLength(0);
  });

  it("does not trust a stranger who claims the admin chat as sender_chat in another chat", async () => {
    await tg.sendText({ from: ADMIN, chat: { id: -3_003, type: "group" }, senderChat: ADMIN_CHAT, text: "/help" });
    await tg.sendText({ from: ADMIN, text: "/help" });
    await tg.waitForBotMessage((m) => m.chatId === ADMIN.id);
    expect(tg.botMessages(-3_003)).toHaveLength(0);
  });

  it("answers /health with the components and what is not configured", async () => {
    await tg.sendText({ from: ADMIN, text: "/health" });
    const reply = await tg.waitForBotMessage((m) => m.chatId === ADMIN.id);
    expect(reply.text).toContain("database");
    expect(reply.text).toMatch(/x.*X_APP_KEY/s);
    expect(reply.text).toContain("OPENAI_API_KEY");
  });

  it("serves GET /health with 200 and a small JSON", async () => {
    const response = await fetch(`${app.httpUrl}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "alive", components: { database: "ok", x: "not_configured" } });
  });
});
