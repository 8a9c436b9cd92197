import { Api } from "grammy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminStep } from "../../src/setup/admin-step.js";
import { SetupState } from "../../src/setup/setup-state.js";
import { ADMIN, ADMIN_CHAT, SECOND_ADMIN, STRANGER } from "../support/app-harness.js";
import { scriptedPrompter } from "../support/scripted-prompter.js";
import { BOT_INFO, BotApiError, startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

describe("setup: finding the admin chat and admins", () => {
  let tg: TelegramEmulator;
  const bot = () => ({ api: new Api(tg.token, { apiRoot: tg.apiRoot }), me: BOT_INFO });

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterEach(() => tg.reset());
  afterAll(() => tg.close());

  it("takes the group and sender of a /start@thisbot, ignoring /start for another bot, and greets the chat", async () => {
    const state = new SetupState({});
    const prompter = scriptedPrompter([
      { asks: "Admin chat", answer: "detect" },
      {
        asks: `Got /start from the group "${ADMIN_CHAT.title}" (chat id ${ADMIN_CHAT.id}), sent by Ada (@ada_admin), user id ${ADMIN.id}`,
        answer: true,
      },
      { asks: "ADMIN_USER_IDS", answer: `${ADMIN.id},${SECOND_ADMIN.id}` },
    ]);
    await tg.sendText({ from: STRANGER, chat: ADMIN_CHAT, text: "/start@some_other_bot" });
    await tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: `/start@${BOT_INFO.username}` });
    await adminStep(prompter, state, bot());
    expect(state.get("ADMIN_CHAT_ID")).toBe(String(ADMIN_CHAT.id));
    expect(state.get("ADMIN_USER_IDS")).toBe(`${ADMIN.id},${SECOND_ADMIN.id}`);
    expect(prompter.remaining()).toBe(0);
    expect(tg.botMessages(ADMIN_CHAT.id).map((m) => m.text)).toEqual([expect.stringContaining("this chat will receive the reply cards")]);
    // The /start it used is confirmed, so the bot does not answer it again at its first start.
    const confirmed = await new Api(tg.token, { apiRoot: tg.apiRoot }).getUpdates({ timeout: 0 });
    expect(confirmed).toEqual([]);
  });

  it("waits for another /start when the operator says the first one is not theirs", async () => {
    const state = new SetupState({});
    const prompter = scriptedPrompter([
      { asks: "Admin chat", answer: "detect" },
      {
        asks: "sent by Eve",
        answer: () => {
          void tg.sendText({ from: ADMIN, text: "/start" });
          return false;
        },
      },
      { asks: "a private chat with Ada", answer: true },
      { asks: "ADMIN_USER_IDS", answer: "" },
    ]);
    await tg.sendText({ from: STRANGER, chat: ADMIN_CHAT, text: "/start" });
    await adminStep(prompter, state, bot());
    expect(state.get("ADMIN_CHAT_ID")).toBe(String(ADMIN.id));
    expect(state.get("ADMIN_USER_IDS")).toBe(String(ADMIN.id));
  });

  it("offers to delete a webhook first, since getUpdates cannot run while one is set", async () => {
    tg.stubMethod("getWebhookInfo", { result: { url: "https://bot.example.com/hook", has_custom_certificate: false, pending_update_count: 0 } });
    const prompter = scriptedPrompter([
      { asks: "Admin chat", answer: "detect" },
      { asks: "A webhook is set for this bot (https://bot.example.com/hook)", answer: true },
      { asks: "Got /start", answer: true },
      { asks: "ADMIN_USER_IDS", answer: "" },
    ]);
    await tg.sendText({ from: ADMIN, text: "/start" });
    await adminStep(prompter, new SetupState({}), bot());
    expect(tg.calls("deleteWebhook")).toHaveLength(1);
  });

  it("stops with a clear message when another process reads the bot's updates (409)", async () => {
    tg.stubMethod("getUpdates", () => {
      throw new BotApiError(409, "Conflict: terminated by other getUpdates request");
    });
    const prompter = scriptedPrompter([{ asks: "Admin chat", answer: "detect" }]);
    await expect(adminStep(prompter, new SetupState({}), bot())).rejects.toThrow(/another process is reading this bot's updates\. Stop the bot/);
  });

  it("keeps the current chat and admins, or takes typed ones checked with the bot's schema", async () => {
    const kept = new SetupState({ ADMIN_CHAT_ID: "-1009", ADMIN_USER_IDS: "1001" });
    await adminStep(scriptedPrompter([{ asks: "Admin chat", answer: "keep" }]), kept, bot());
    expect(kept.updates.size).toBe(0);

    const typed = new SetupState({});
    await adminStep(
      scriptedPrompter([
        { asks: "Admin chat", answer: "type" },
        { asks: "ADMIN_CHAT_ID", answer: "-100123" },
        { asks: "ADMIN_USER_IDS", answer: "7,8" },
      ]),
      typed,
      bot(),
    );
    expect([typed.get("ADMIN_CHAT_ID"), typed.get("ADMIN_USER_IDS")]).toEqual(["-100123", "7,8"]);
    await expect(
      adminStep(scriptedPrompter([{ asks: "Admin chat", answer: "type" }, { asks: "ADMIN_CHAT_ID", answer: "0" }]), new SetupState({}), bot()),
    ).rejects.toThrow(/ADMIN_CHAT_ID must not be 0/);
  });
});
