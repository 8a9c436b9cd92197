import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminChatCheck } from "../../src/doctor/admin-chat.js";
import { telegramProbe } from "../../src/doctor/telegram.js";
import { telegramTokenCheck } from "../../src/doctor/telegram-token.js";
import { DOCTOR_TEST_TIMEOUT_MS, doctorConfig, printedLine } from "../support/doctor.js";
import { BotApiError, startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

const GROUP = -1_001_234;
const CHANNEL = -1_009_876_543_210;

describe("doctor: Telegram bot token and admin chat", () => {
  let tg: TelegramEmulator;
  const probe = (token = tg.token, chat = 4242) =>
    telegramProbe(doctorConfig({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: tg.apiRoot, ADMIN_CHAT_ID: String(chat), ADMIN_USER_IDS: "4242" }), DOCTOR_TEST_TIMEOUT_MS);

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterEach(() => tg.reset());
  afterAll(() => tg.close());

  it("shows the bot's @username from getMe", async () => {
    const line = await printedLine(telegramTokenCheck(probe()));
    expect(line).toBe(`✓ Telegram bot token: @${tg.botInfo.username} (id ${tg.botInfo.id}) at ${new URL(tg.apiRoot).host}`);
  });

  it("says a wrong token is rejected (401) and to check TELEGRAM_BOT_TOKEN, without printing it", async () => {
    const token = "123456:WRONG-token-value";
    const line = await printedLine(telegramTokenCheck(probe(token)), [token]);
    expect(line).toBe(
      "✗ Telegram bot token: rejected (401: Unauthorized) — check TELEGRAM_BOT_TOKEN (the token @BotFather gave you; /revoke there makes a new one)",
    );
  });

  it("says the Bot API is unreachable when it is down, and to check TELEGRAM_API_ROOT", async () => {
    tg.setDown(true);
    const line = await printedLine(telegramTokenCheck(probe()));
    expect(line).toMatch(/^✗ Telegram bot token: .*\(502\) — check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT$/);
  });

  it("gives up on a Bot API that does not answer after the timeout", async () => {
    tg.injectFault("getMe", { delayMs: 10_000 });
    const config = doctorConfig({ TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.apiRoot, ADMIN_CHAT_ID: "4242", ADMIN_USER_IDS: "4242" });
    // The check's own limit (1 s) comes before the Bot API client's (5 s): the runner is what gives up.
    const line = await printedLine(telegramTokenCheck(telegramProbe(config, 5_000)), [], 1_000);
    expect(line).toBe("✗ Telegram bot token: no answer within 1 s — check TELEGRAM_API_ROOT and this machine's network");
  });

  it("accepts a private admin chat, a group the bot is in, and a channel where it is an admin", async () => {
    expect(await printedLine(adminChatCheck(probe(), 4242))).toBe("✓ Admin chat: private chat with User4242");
    expect(await printedLine(adminChatCheck(probe(), GROUP))).toBe(`✓ Admin chat: group "Group ${GROUP}", the bot is a member`);
    tg.stubMethod("getChat", { result: { id: CHANNEL, type: "channel", title: "Alerts" } });
    tg.stubMethod("getChatMember", {
      result: { status: "administrator", user: tg.botInfo, can_be_edited: false, is_anonymous: false, can_post_messages: true, can_edit_messages: true },
    });
    expect(await printedLine(adminChatCheck(probe(), CHANNEL))).toBe('✓ Admin chat: channel "Alerts", the bot is an admin');
  });

  it("says a missing admin chat is not found, and what ADMIN_CHAT_ID should be", async () => {
    tg.stubMethod("getChat", () => {
      throw new BotApiError(400, "Bad Request: chat not found");
    });
    expect(await printedLine(adminChatCheck(probe(), GROUP))).toBe(
      `✗ Admin chat: ${GROUP}: Bad Request: chat not found (400) — check ADMIN_CHAT_ID (groups are negative; supergroups and channels start with -100) and add the bot to that chat`,
    );
    expect(await printedLine(adminChatCheck(probe(), 4242))).toContain("send /start to the bot from that account once");
  });

  it("fails a group the bot was removed from, and a channel where it is only a subscriber", async () => {
    tg.stubMethod("getChatMember", { result: { status: "kicked", user: tg.botInfo, until_date: 0 } });
    expect(await printedLine(adminChatCheck(probe(), GROUP))).toBe(`✗ Admin chat: group "Group ${GROUP}": the bot is not in it (kicked) — add the bot to the group again`);
    tg.stubMethod("getChat", { result: { id: CHANNEL, type: "channel", title: "Alerts" } });
    tg.stubMethod("getChatMember", { result: { status: "member", user: tg.botInfo } });
    expect(await printedLine(adminChatCheck(probe(), CHANNEL))).toBe(
      '✗ Admin chat: channel "Alerts": the bot is a subscriber, not an admin — make the bot an admin of the channel with "Post messages" and "Edit messages"',
    );
  });

  it("does not check the admin chat when the token does not work (the token line says why)", async () => {
    expect(await printedLine(adminChatCheck(probe("123456:WRONG-token-value"), GROUP))).toBe(`- Admin chat: ${GROUP} not checked: the bot token does not work`);
  });
});
