/**
 * Proves the Telegram Bot API emulator (test/support/telegram-emulator.ts) works with a real
 * grammY bot polling it through @grammyjs/runner (and grammY's built-in polling).
 */
import { run, type RunnerHandle } from "@grammyjs/runner";
import { Bot, GrammyError, InlineKeyboard, InputFile } from "grammy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  EMULATOR_POLLING_OPTIONS,
  EMULATOR_RUNNER_OPTIONS,
  startTelegramEmulator,
  type EmulatorChat,
  type EmulatorUser,
  type TelegramEmulator,
} from "../support/telegram-emulator/index.js";

const alice: EmulatorUser = { id: 1001, first_name: "Alice", username: "alice" };
const bob: EmulatorUser = { id: 1002, first_name: "Bob" };
const group: EmulatorChat = { id: -1001234567890, type: "supergroup", title: "Admins" };

let tg: TelegramEmulator;
let handle: RunnerHandle | undefined;

function newBot(): Bot {
  return new Bot(tg.token, { botInfo: tg.botInfo, client: { apiRoot: tg.apiRoot } });
}

/** Starts the bot with the shared runner settings; stopped in afterEach. */
function startRunner(bot: Bot): RunnerHandle {
  handle = run(bot, EMULATOR_RUNNER_OPTIONS);
  return handle;
}

function expectGrammyError(e: unknown, code: number): GrammyError {
  expect(e).toBeInstanceOf(GrammyError);
  const err = e as GrammyError;
  expect(err.error_code).toBe(code);
  return err;
}

beforeAll(async () => {
  tg = await startTelegramEmulator();
});

afterEach(async () => {
  if (handle?.isRunning()) await handle.stop();
  handle = undefined;
  tg.reset();
});

afterAll(async () => {
  await tg.close();
});

describe("telegram emulator + grammY runner", () => {
  it("listens on 127.0.0.1 and serves getMe/setMyCommands/deleteWebhook/sendChatAction", async () => {
    expect(tg.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const bot = newBot();
    const me = await bot.api.getMe();
    expect(me.username).toBe(tg.botInfo.username);
    await expect(bot.api.setMyCommands([{ command: "start", description: "Start" }])).resolves.toBe(true);
    await expect(bot.api.getMyCommands()).resolves.toEqual([{ command: "start", description: "Start" }]);
    await expect(bot.api.deleteMyCommands()).resolves.toBe(true);
    await expect(bot.api.deleteWebhook()).resolves.toBe(true);
    await expect(bot.api.sendChatAction(alice.id, "typing")).resolves.toBe(true);
    await expect(bot.api.getUpdates({ timeout: 0 })).resolves.toEqual([]);
    expect(tg.calls().map((c) => c.method)).toEqual([
      "getMe",
      "setMyCommands",
      "getMyCommands",
      "deleteMyCommands",
      "deleteWebhook",
      "sendChatAction",
    ]);
    expect(tg.calls("sendChatAction")[0]?.payload).toEqual({ chat_id: alice.id, action: "typing" });
    expect(tg.calls("getUpdates")).toHaveLength(1);

    // wrong token → 401, like Telegram
    const other = new Bot("999:nope", { botInfo: tg.botInfo, client: { apiRoot: tg.apiRoot } });
    await other.api.getMe().then(
      () => expect.fail("expected 401"),
      (e: unknown) => expectGrammyError(e, 401),
    );
  });

  it("a command from a user gets a reply (dates in seconds)", async () => {
    const bot = newBot();
    let handledAt = 0;
    let seenDate = 0;
    let replyDate = 0;
    bot.command("start", async (ctx) => {
      handledAt = performance.now();
      seenDate = ctx.message?.date ?? 0;
      const sent = await ctx.reply(`hello ${ctx.from?.first_name ?? "?"} (${ctx.match})`);
      replyDate = sent.date;
    });
    startRunner(bot);

    // warm-up (first getUpdates / connection setup)
    await tg.sendText({ from: alice, text: "/start warmup" });
    await tg.waitForBotMessage((m) => m.text.includes("warmup"));

    for (let i = 0; i < 5; i++) {
      const id = await tg.sendText({ from: alice, text: `/start run${i}` });
      expect(id).toBeGreaterThan(0);
      await tg.waitForBotMessage((m) => m.text.includes(`run${i}`));
    }
    expect(handledAt).toBeGreaterThan(0);

    const nowSec = Date.now() / 1000;
    expect(Math.abs(seenDate - nowSec)).toBeLessThan(60);
    expect(Math.abs(replyDate - nowSec)).toBeLessThan(60);
    const msgs = tg.botMessages(alice.id);
    expect(msgs.at(-1)).toMatchObject({ chatId: alice.id, text: "hello Alice (run4)", editCount: 0, inlineKeyboard: [] });
    expect(tg.calls("sendMessage").at(-1)?.payload).toMatchObject({ chat_id: alice.id, text: "hello Alice (run4)" });
  });

  it("button press reaches the bot, answerCallbackQuery is recorded, edits are reflected", async () => {
    const bot = newBot();
    let chatInstance: string | undefined;
    bot.command("menu", (ctx) =>
      ctx.reply("<b>Approve?</b>", {
        parse_mode: "HTML",
        reply_markup: new InlineKeyboard().text("Yes", "yes").text("No", "no").row().url("Docs", "https://example.com"),
      }),
    );
    bot.callbackQuery("yes", async (ctx) => {
      chatInstance = ctx.callbackQuery.chat_instance;
      await ctx.answerCallbackQuery({ text: "Approved", show_alert: true });
      await ctx.editMessageText("Approved ✅", { reply_markup: new InlineKeyboard().text("Undo", "undo") });
    });
    bot.callbackQuery("undo", async (ctx) => {
      await ctx.answerCallbackQuery();
      await ctx.editMessageText("Undone"); // no reply_markup → Telegram drops the keyboard
    });
    startRunner(bot);

    await tg.sendText({ from: alice, text: "/menu" });
    const menu = await tg.waitForBotMessage((m) => m.text === "<b>Approve?</b>");
    expect(menu.parseMode).toBe("HTML");
    expect(menu.inlineKeyboard).toEqual([
      [
        { text: "Yes", callbackData: "yes" },
        { text: "No", callbackData: "no" },
      ],
      [{ text: "Docs", url: "https://example.com" }],
    ]);

    const qid = await tg.pressButton({ from: alice, messageId: menu.messageId, data: "yes" });
    await expect(tg.waitForCallbackAnswer(qid)).resolves.toEqual({ text: "Approved", showAlert: true });
    expect(tg.callbackAnswers()).toEqual([{ callbackQueryId: qid, text: "Approved", showAlert: true }]);
    expect(chatInstance).toBeTypeOf("string");

    const edited = await tg.waitForBotMessage((m) => m.messageId === menu.messageId && m.editCount === 1);
    expect(edited.text).toBe("Approved ✅");
    expect(edited.parseMode).toBeUndefined();
    expect(edited.inlineKeyboard).toEqual([[{ text: "Undo", callbackData: "undo" }]]);

    // the old button is gone: pressing it is a test error
    await expect(tg.pressButton({ from: alice, messageId: menu.messageId, data: "yes" })).rejects.toThrow(/no button/);

    const qid2 = await tg.pressButton({ from: alice, messageId: menu.messageId, data: "undo" });
    await tg.waitForCallbackAnswer(qid2);
    const undone = await tg.waitForBotMessage((m) => m.messageId === menu.messageId && m.editCount === 2);
    expect(undone).toMatchObject({ text: "Undone", inlineKeyboard: [] });
    expect(tg.botMessages()).toHaveLength(1);
  });

  it("editMessageReplyMarkup without inline_keyboard clears the keyboard; deleteMessage removes it", async () => {
    const bot = newBot();
    const sent = await bot.api.sendMessage(alice.id, "pick", { reply_markup: new InlineKeyboard().text("A", "a") });
    expect(tg.botMessages()[0]?.inlineKeyboard).toHaveLength(1);
    await bot.api.editMessageReplyMarkup(alice.id, sent.message_id); // no reply_markup at all
    expect(tg.botMessages()[0]).toMatchObject({ inlineKeyboard: [], editCount: 1, text: "pick" });
    // the same removal again is "not modified", like Telegram
    await bot.api.editMessageReplyMarkup(alice.id, sent.message_id, { reply_markup: { inline_keyboard: [] } }).then(
      () => expect.fail("expected 400"),
      (e: unknown) => expect(expectGrammyError(e, 400).description).toMatch(/message is not modified/),
    );
    await expect(bot.api.deleteMessage(alice.id, sent.message_id)).resolves.toBe(true);
    expect(tg.botMessages()).toEqual([]);
    await bot.api.deleteMessage(alice.id, sent.message_id).then(
      () => expect.fail("expected 400"),
      (e: unknown) => expect(expectGrammyError(e, 400).description).toMatch(/message to delete not found/),
    );
  });

  it("works in a group chat (negative id): the bot sees the group and replies into it", async () => {
    const bot = newBot();
    let seenType: string | undefined;
    bot.command("status", async (ctx) => {
      seenType = ctx.chat.type;
      const sent = await ctx.reply(`status for ${ctx.chat.type === "private" ? "dm" : (ctx.chat.title ?? "")}`);
      expect(sent.chat.id).toBe(group.id);
      expect(sent.chat.type).toBe("supergroup");
    });
    startRunner(bot);

    await tg.sendText({ from: bob, chat: group, text: `/status@${tg.botInfo.username}` });
    const reply = await tg.waitForBotMessage((m) => m.chatId === group.id);
    expect(reply.text).toBe("status for Admins");
    expect(seenType).toBe("supergroup");
    expect(tg.botMessages(alice.id)).toEqual([]);

    // sending to a group the emulator has never seen works too
    const other = await bot.api.sendMessage(-4242, "hi group");
    expect(other.chat).toMatchObject({ id: -4242, type: "group" });
    expect(tg.botMessages(-4242)).toHaveLength(1);
  });

  it("injectFault 429 makes one call fail with GrammyError 429 + retry_after, then succeed", async () => {
    const bot = newBot();
    tg.injectFault("sendMessage", { status: 429, retryAfter: 3 });
    const err = await bot.api.sendMessage(alice.id, "first").then(
      () => expect.fail("expected 429"),
      (e: unknown) => expectGrammyError(e, 429),
    );
    expect(err.parameters.retry_after).toBe(3);
    expect(err.description).toBe("Too Many Requests: retry after 3");
    const ok = await bot.api.sendMessage(alice.id, "second");
    expect(ok.text).toBe("second");
    expect(tg.calls("sendMessage").map((c) => [c.ok, c.errorCode])).toEqual([
      [false, 429],
      [true, undefined],
    ]);
    expect(tg.botMessages().map((m) => m.text)).toEqual(["second"]);

    // other statuses, counts and delays
    tg.injectFault("sendMessage", { status: 403 }, 2);
    for (let i = 0; i < 2; i++) {
      await bot.api.sendMessage(alice.id, "x").then(
        () => expect.fail("expected 403"),
        (e: unknown) => expectGrammyError(e, 403),
      );
    }
    tg.injectFault("sendChatAction", { delayMs: 150 });
    const t0 = performance.now();
    await bot.api.sendChatAction(alice.id, "typing");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("injectFault hangAfterDelivery carries the call out and withholds the answer until the caller gives up", async () => {
    const bot = newBot();
    tg.injectFault("sendMessage", { hangAfterDelivery: true });
    const abort = new AbortController();
    const pending = fetch(`${tg.apiRoot}/bot${tg.token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: alice.id, text: "delivered, never answered" }),
      signal: abort.signal,
    }).then(
      () => "answered",
      () => "gave up",
    );
    await tg.waitForBotMessage((m) => m.text === "delivered, never answered");
    expect(tg.calls("sendMessage")[0]?.ok).toBeUndefined();
    abort.abort();
    expect(await pending).toBe("gave up");
    await tg.waitForCall("sendMessage", (c) => c.ok === false);
    expect((await bot.api.sendMessage(alice.id, "next")).text).toBe("next");
  });

  it("setDown makes every call fail with 502 and the runner recovers afterwards", async () => {
    const bot = newBot();
    bot.command("ping", (ctx) => ctx.reply("pong"));
    startRunner(bot);
    await tg.sendText({ from: alice, text: "/ping" });
    await tg.waitForBotMessage((m) => m.text === "pong");

    tg.setDown(true);
    await bot.api.sendMessage(alice.id, "during outage").then(
      () => expect.fail("expected 502"),
      (e: unknown) => expectGrammyError(e, 502),
    );
    await tg.sendText({ from: alice, text: "/ping" }); // queued while Telegram is "down"
    await new Promise((r) => setTimeout(r, 200));
    expect(tg.botMessages().filter((m) => m.text === "pong")).toHaveLength(1);
    expect(tg.calls("getUpdates").some((c) => c.errorCode === 502)).toBe(true);

    tg.setDown(false);
    await tg.waitForBotMessage(() => tg.botMessages().filter((m) => m.text === "pong").length === 2, 2000);
  });

  it("reproduces Telegram 400s for bad HTML, empty/too long text and bad callback_data", async () => {
    const bot = newBot();
    const cases: [Promise<unknown>, RegExp][] = [
      [bot.api.sendMessage(alice.id, "1 < 2 <b>x</b>", { parse_mode: "HTML" }), /can't parse entities: Unsupported start tag/],
      [bot.api.sendMessage(alice.id, "<b>open", { parse_mode: "HTML" }), /Can't find end tag corresponding to start tag "b"/],
      [bot.api.sendMessage(alice.id, "  "), /message text is empty/],
      [bot.api.sendMessage(alice.id, "x".repeat(4097)), /message is too long/],
      [bot.api.sendMessage(alice.id, "k", { reply_markup: new InlineKeyboard().text("k", "d".repeat(65)) }), /BUTTON_DATA_INVALID/],
      [bot.api.editMessageText(alice.id, 999_999, "nope"), /message to edit not found/],
      [bot.api.answerCallbackQuery("nope"), /query ID is invalid/],
    ];
    for (const [p, re] of cases) {
      await p.then(
        () => expect.fail(`expected 400 matching ${String(re)}`),
        (e: unknown) => expect(expectGrammyError(e, 400).description).toMatch(re),
      );
    }
    // a fine HTML message with escaped entities passes, length counted after parsing
    await expect(
      bot.api.sendMessage(alice.id, `<b>${"a".repeat(4090)}</b> &lt;3`, { parse_mode: "HTML" }),
    ).resolves.toMatchObject({ text: `<b>${"a".repeat(4090)}</b> &lt;3` });

    // waitForBotMessage timeout lists messages and recent failures
    await expect(tg.waitForBotMessage((m) => m.text === "never", 50)).rejects.toThrow(/no bot message matched[\s\S]*Recent failed/);
  });

  it("accepts form-encoded bodies and unknown methods answer 404", async () => {
    const res = await fetch(`${tg.apiRoot}/bot${tg.token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        chat_id: String(group.id),
        text: "from a form",
        reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "Go", callback_data: "go" }]] }),
      }).toString(),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; result: { message_id: number; chat: { type: string } } };
    expect(body.ok).toBe(true);
    expect(body.result.chat.type).toBe("supergroup");
    expect(tg.botMessages(group.id)[0]).toMatchObject({ text: "from a form", inlineKeyboard: [[{ text: "Go", callbackData: "go" }]] });

    // multipart (grammY uses it for InputFile uploads) + editMessageCaption
    const bot = newBot();
    const photo = await bot.api.sendPhoto(alice.id, new InputFile(Buffer.from("png"), "a.png"), {
      caption: "draft",
      reply_markup: new InlineKeyboard().text("OK", "ok"),
    });
    expect(photo.photo?.length).toBeGreaterThan(0);
    expect(tg.calls("sendPhoto")[0]?.payload).toMatchObject({ chat_id: alice.id, caption: "draft", photo: { file: "a.png" } });
    await bot.api.editMessageCaption(alice.id, photo.message_id, { caption: "final" });
    expect(tg.botMessages(alice.id)[0]).toMatchObject({ kind: "photo", text: "final", editCount: 1, inlineKeyboard: [] });

    const unknown = await fetch(`${tg.apiRoot}/bot${tg.token}/sendPaidMedia`, { method: "POST" });
    expect(unknown.status).toBe(404);
    tg.stubMethod("sendPaidMedia", { result: { message_id: 1 } });
    const stubbed = await fetch(`${tg.apiRoot}/bot${tg.token}/sendPaidMedia`, { method: "POST" });
    expect(await stubbed.json()).toEqual({ ok: true, result: { message_id: 1 } });
  });

  it("grammY's built-in bot.start() polling works and stops cleanly", async () => {
    const bot = newBot();
    bot.on("message:text", (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
    const started = new Promise<void>((resolve) => {
      void bot.start({ ...EMULATOR_POLLING_OPTIONS, onStart: () => resolve() });
    });
    await started;
    await tg.sendText({ from: alice, text: "hi there" });
    await tg.waitForBotMessage((m) => m.text === "echo: hi there");
    await bot.stop();
    expect(tg.calls("deleteWebhook")).toHaveLength(1);
  });

  it("also works with throttled short polling (fetch timeout 0)", async () => {
    const bot = newBot();
    let handledAt = 0;
    bot.command("ping", async (ctx) => {
      handledAt = performance.now();
      await ctx.reply("pong");
    });
    handle = run(bot, {
      runner: { fetch: { timeout: 0 }, retryInterval: 50, silent: true },
      source: { maxDelayMilliseconds: 50, speedTrafficBalance: 0.2 },
    });
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 60)); // let the runner settle into its idle pace
      await tg.sendText({ from: alice, text: "/ping" });
      await tg.waitForBotMessage(() => tg.botMessages().length === i + 1);
    }
    expect(handledAt).toBeGreaterThan(0);
    expect(tg.botMessages().map((m) => m.text)).toEqual(["pong", "pong", "pong", "pong", "pong"]);
  });

  it("answers getChatMember (the bot a member) and can skew its Date header", async () => {
    const member = await fetch(`${tg.apiRoot}/bot${tg.token}/getChatMember?chat_id=-1001&user_id=${tg.botInfo.id}`);
    expect(await member.json()).toMatchObject({ ok: true, result: { status: "member", user: { id: tg.botInfo.id } } });
    tg.setClockOffset(-120_000);
    const skewed = Date.parse((await fetch(`${tg.apiRoot}/`)).headers.get("date")!);
    expect(Math.round((Date.now() - skewed) / 60_000)).toBe(2);
  });
});
