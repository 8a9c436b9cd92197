/**
 * The admin filter, the admin guard and the database gate driven directly with grammY contexts built from
 * updates (no polling); the Bot API is a recorder, so every call the middleware makes is visible.
 */
import { Api, Context, type MiddlewareFn } from "grammy";
import type { Update } from "grammy/types";
import { beforeEach, describe, expect, it } from "vitest";
import type { BotContext } from "../../src/bot/context.js";
import { isAdminUpdate } from "../../src/bot/filters/is-admin.js";
import { createAdminGuard, REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { createDatabaseGate, DATABASE_DOWN_TEXT } from "../../src/bot/middlewares/database-gate.js";
import { REFUSAL_INTERVAL_MS, RefusalLimiter } from "../../src/bot/middlewares/refusal-limiter.js";
import { ANONYMOUS_ADMIN_BOT_ID, loadConfig } from "../../src/config.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { BOT_INFO } from "../support/telegram-emulator/index.js";

const ADMIN_CHAT_ID = -100;
const ADMIN_ID = 7;
const STRANGER_ID = 66;
const baseEnv = { TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: String(ADMIN_CHAT_ID), ADMIN_USER_IDS: String(ADMIN_ID) };
const config = loadConfig(baseEnv);
const trustingAnonymous = loadConfig({ ...baseEnv, ANONYMOUS_ADMINS: "true" });
const CHANNEL_ID = -1_001_234_567_890;
const channelConfig = loadConfig({ ...baseEnv, ADMIN_CHAT_ID: String(CHANNEL_ID), ANONYMOUS_ADMINS: "true" });

type Chat = { id: number; type: "private" } | { id: number; type: "group" | "channel"; title: string };
const privateChat = (id: number): Chat => ({ id, type: "private" });
const adminGroup: Chat = { id: ADMIN_CHAT_ID, type: "group", title: "admins" };
const otherGroup: Chat = { id: -200, type: "group", title: "others" };
const user = (id: number, isBot = false) => ({ id, is_bot: isBot, first_name: `U${id}` });

function message(from: number | undefined, chat: Chat, text: string | undefined, senderChat?: Chat): Update {
  return {
    update_id: 1,
    message: {
      message_id: 10,
      date: 0,
      chat,
      ...(from === undefined ? {} : { from: user(from, from === ANONYMOUS_ADMIN_BOT_ID) }),
      ...(text === undefined ? { sticker: { file_id: "s", file_unique_id: "s", type: "regular", width: 1, height: 1, is_animated: false, is_video: false } } : { text }),
      ...(senderChat ? { sender_chat: senderChat } : {}),
    },
  } as Update;
}

/** A press on a card in `chat`; a card in a channel carries the channel as its sender_chat, as Telegram sends it. */
function press(from: number, chat: Chat): Update {
  return {
    update_id: 2,
    callback_query: {
      id: "q1",
      from: user(from),
      chat_instance: "ci",
      data: "v1:x",
      message: { message_id: 11, date: 0, chat, text: "card", ...(chat.type === "channel" ? { sender_chat: chat } : {}) },
    },
  } as Update;
}

/** An inline query: no chat and no message. */
const inlineQuery = (from: number): Update => ({ update_id: 3, inline_query: { id: "iq", from: user(from), query: "x", offset: "" } });
/** A stranger blocking the bot in private: a chat, but no message. */
const blocked = (from: number): Update =>
  ({
    update_id: 4,
    my_chat_member: {
      chat: privateChat(from),
      from: user(from),
      date: 0,
      old_chat_member: { status: "member", user: user(BOT_INFO.id, true) },
      new_chat_member: { status: "kicked", user: user(BOT_INFO.id, true), until_date: 0 },
    },
  }) as Update;
/** A post in a channel: a sender_chat, no from. */
const channelPost = (id = -300): Update =>
  ({ update_id: 5, channel_post: { message_id: 12, date: 0, chat: { id, type: "channel", title: "c" }, sender_chat: { id, type: "channel", title: "c" }, text: "/start" } });
const adminChannel: Chat = { id: CHANNEL_ID, type: "channel", title: "admin channel" };

/** A context for `update` whose Bot API calls are recorded and answered `true`. */
function contextFor(update: Update): { ctx: BotContext; calls: { method: string; payload: unknown }[] } {
  const calls: { method: string; payload: unknown }[] = [];
  const api = new Api("123456:ABC-def_ghi");
  api.config.use((_prev, method, payload) => {
    calls.push({ method, payload });
    return Promise.resolve({ ok: true as const, result: true as never });
  });
  const ctx = Object.assign(new Context(update, api, BOT_INFO), { config, logger: silentLogger() }) as unknown as BotContext;
  return { ctx, calls };
}

async function run(middleware: MiddlewareFn<BotContext>, update: Update) {
  const { ctx, calls } = contextFor(update);
  let passed = false;
  await middleware(ctx, () => {
    passed = true;
    return Promise.resolve();
  });
  return { passed, calls: calls.map((c) => [c.method, (c.payload as { text?: string }).text]) };
}

describe("isAdminUpdate", () => {
  it.each([
    ["an admin in private", message(ADMIN_ID, privateChat(ADMIN_ID), "/help"), true],
    ["an admin in the admin group", message(ADMIN_ID, adminGroup, "hi"), true],
    ["an admin in another group (admins act only in the admin chat and in private)", message(ADMIN_ID, otherGroup, "/help"), false],
    ["a stranger", message(STRANGER_ID, privateChat(STRANGER_ID), "/help"), false],
    ["a message without from", message(undefined, adminGroup, "hi"), false],
    ["the anonymous-admin bot without sender_chat", message(ANONYMOUS_ADMIN_BOT_ID, adminGroup, "hi"), false],
    ["an anonymous admin of the admin chat without ANONYMOUS_ADMINS", message(ANONYMOUS_ADMIN_BOT_ID, adminGroup, "hi", adminGroup), false],
    ["the admin chat's identity posted into another chat", message(ANONYMOUS_ADMIN_BOT_ID, otherGroup, "hi", adminGroup), false],
    ["another chat's identity in the admin chat, even with an admin's from", message(ADMIN_ID, adminGroup, "hi", otherGroup), false],
    ["an admin pressing a button", press(ADMIN_ID, adminGroup), true],
    ["a stranger pressing a button in the admin chat", press(STRANGER_ID, adminGroup), false],
    ["an admin's inline query (no chat, so no place where admins act)", inlineQuery(ADMIN_ID), false],
    ["a stranger blocking the bot", blocked(STRANGER_ID), false],
    ["a channel post", channelPost(), false],
  ] as const)("%s → %s", (_name, update, expected) => {
    expect(isAdminUpdate(contextFor(update).ctx, config)).toBe(expected);
  });

  it.each([
    ["an anonymous admin of the admin chat", message(ANONYMOUS_ADMIN_BOT_ID, adminGroup, "hi", adminGroup), true],
    ["the admin chat's identity posted into another chat", message(ANONYMOUS_ADMIN_BOT_ID, otherGroup, "hi", adminGroup), false],
    ["another chat's identity in the admin chat", message(ANONYMOUS_ADMIN_BOT_ID, adminGroup, "hi", otherGroup), false],
    ["the admin chat's identity in a private chat", message(ANONYMOUS_ADMIN_BOT_ID, privateChat(ADMIN_ID), "hi", adminGroup), false],
    ["a stranger pressing a button in the admin chat", press(STRANGER_ID, adminGroup), false],
  ] as const)("with ANONYMOUS_ADMINS=true: %s → %s", (_name, update, expected) => {
    expect(isAdminUpdate(contextFor(update).ctx, trustingAnonymous)).toBe(expected);
  });

  it.each([
    ["a stranger pressing a card whose sender_chat is the channel", press(STRANGER_ID, adminChannel), false],
    ["an admin pressing a card in the channel", press(ADMIN_ID, adminChannel), true],
    ["the channel's own post, even with ANONYMOUS_ADMINS=true", channelPost(CHANNEL_ID), false],
    ["an admin in private", message(ADMIN_ID, privateChat(ADMIN_ID), "/help"), true],
  ] as const)("with a channel as ADMIN_CHAT_ID: %s → %s", (_name, update, expected) => {
    expect(isAdminUpdate(contextFor(update).ctx, channelConfig)).toBe(expected);
  });

  it("the anonymous-admin placeholder is never an admin by its id alone, even listed in ADMIN_USER_IDS", () => {
    const listing = loadConfig({ ...baseEnv, ADMIN_USER_IDS: `${ADMIN_ID},${ANONYMOUS_ADMIN_BOT_ID}` });
    const update = message(ANONYMOUS_ADMIN_BOT_ID, privateChat(ANONYMOUS_ADMIN_BOT_ID), "/help");
    (update.message as { from: { is_bot: boolean } }).from.is_bot = false;
    expect(isAdminUpdate(contextFor(update).ctx, listing)).toBe(false);
  });

  it("a bot account is never an admin, even with an admin's id", () => {
    const update = message(ADMIN_ID, privateChat(ADMIN_ID), "/help");
    (update.message as { from: { is_bot: boolean } }).from.is_bot = true;
    expect(isAdminUpdate(contextFor(update).ctx, config)).toBe(false);
  });
});

describe("admin guard", () => {
  // A fresh limiter per test: each test's stranger is refused aloud for the first time.
  let guard = createAdminGuard();
  beforeEach(() => {
    guard = createAdminGuard();
  });

  it("logs who was refused, and where, at debug level only, and counts it", async () => {
    let refused = 0;
    const counting = createAdminGuard({ onRefused: () => refused++ });
    const { logger, lines } = capturingLogger();
    const { ctx } = contextFor(message(STRANGER_ID, otherGroup, "hi"));
    ctx.logger = logger;
    await counting(ctx, () => Promise.resolve());
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 20, msg: "refused update from a non-admin", from: STRANGER_ID, chat: otherGroup.id }),
    ]);
    expect(refused).toBe(1);
    logger.level = "info";
    await counting(ctx, () => Promise.resolve());
    expect(lines).toHaveLength(1);
    expect(refused).toBe(2);
  });

  it("refuses a stranger aloud at most once per hour: later presses get an empty answer, later commands nothing", async () => {
    // A wall-clock start, not 0: with 0 the elapsed time equals the clock reading and hides a wrong subtraction.
    const start = Date.parse("2026-11-30T08:00:00Z");
    let now = start;
    const hourly = createAdminGuard({ limiter: new RefusalLimiter(REFUSAL_INTERVAL_MS, 10, () => now) });
    expect(await run(hourly, press(STRANGER_ID, adminGroup))).toEqual({ passed: false, calls: [["answerCallbackQuery", REFUSAL_TEXT]] });
    expect(await run(hourly, press(STRANGER_ID, adminGroup))).toEqual({ passed: false, calls: [["answerCallbackQuery", undefined]] });
    expect(await run(hourly, message(STRANGER_ID, privateChat(STRANGER_ID), "/start"))).toEqual({ passed: false, calls: [] });
    now = start + REFUSAL_INTERVAL_MS - 1;
    expect(await run(hourly, message(STRANGER_ID, privateChat(STRANGER_ID), "/start"))).toEqual({ passed: false, calls: [] });
    now = start + REFUSAL_INTERVAL_MS;
    expect(await run(hourly, message(STRANGER_ID, privateChat(STRANGER_ID), "/start"))).toEqual({ passed: false, calls: [["sendMessage", REFUSAL_TEXT]] });
    expect(await run(hourly, press(STRANGER_ID + 1, adminGroup))).toEqual({ passed: false, calls: [["answerCallbackQuery", REFUSAL_TEXT]] });
  });

  it("keeps a stranger waiting a full hour by default before refusing aloud again", async () => {
    const start = Date.parse("2026-11-30T08:00:00Z");
    let now = start;
    const hourly = createAdminGuard({ limiter: new RefusalLimiter(undefined, undefined, () => now) });
    const command = message(STRANGER_ID, privateChat(STRANGER_ID), "/start");
    expect((await run(hourly, command)).calls).toEqual([["sendMessage", REFUSAL_TEXT]]);
    now = start + 59 * 60_000 + 59_999;
    expect((await run(hourly, command)).calls).toEqual([]);
    now = start + 60 * 60_000;
    expect((await run(hourly, command)).calls).toEqual([["sendMessage", REFUSAL_TEXT]]);
  });

  it("the refusal says the bot is private (Telegram refuses an empty text)", () => {
    expect(REFUSAL_TEXT).toBe("Sorry, this bot is private.");
  });

  it("lets an admin through and says nothing", async () => {
    expect(await run(guard, message(ADMIN_ID, privateChat(ADMIN_ID), "/help"))).toEqual({ passed: true, calls: [] });
  });

  it("answers a stranger's button press with the refusal", async () => {
    expect(await run(guard, press(STRANGER_ID, adminGroup))).toEqual({ passed: false, calls: [["answerCallbackQuery", REFUSAL_TEXT]] });
  });

  it("replies once to a stranger's command in private", async () => {
    expect(await run(guard, message(STRANGER_ID, privateChat(STRANGER_ID), "/start"))).toEqual({ passed: false, calls: [["sendMessage", REFUSAL_TEXT]] });
  });

  it.each([
    ["plain text in private", message(STRANGER_ID, privateChat(STRANGER_ID), "hello")],
    ["a command in a group", message(STRANGER_ID, otherGroup, "/start")],
    ["a sticker in private", message(STRANGER_ID, privateChat(STRANGER_ID), undefined)],
    ["inline query", inlineQuery(STRANGER_ID)],
    ["block of the bot", blocked(STRANGER_ID)],
    ["channel post", channelPost()],
  ])("drops a stranger's %s silently", async (_name, update) => {
    expect(await run(guard, update)).toEqual({ passed: false, calls: [] });
  });
});

describe("refusal limiter", () => {
  it("remembers at most its capacity, forgetting the least recently refused first", () => {
    const limiter = new RefusalLimiter(REFUSAL_INTERVAL_MS, 3, () => 0);
    for (const id of [1, 2, 3]) expect(limiter.tryRefuse(id)).toBe(true);
    expect(limiter.tryRefuse(1)).toBe(false);
    expect(limiter.tryRefuse(4)).toBe(true);
    expect(limiter.size).toBe(3);
    expect(limiter.tryRefuse(1)).toBe(true);
    expect(limiter.tryRefuse(3)).toBe(false);
  });

  it("holds 10,000 strangers by default and no more", () => {
    const limiter = new RefusalLimiter();
    for (let id = 1; id <= 10_500; id++) limiter.tryRefuse(id);
    expect(limiter.size).toBe(10_000);
  });
});

describe("database gate", () => {
  const up = createDatabaseGate(() => false);
  const down = createDatabaseGate(() => true);

  it("passes everything while the database is up", async () => {
    expect(await run(up, message(ADMIN_ID, adminGroup, "/queue"))).toEqual({ passed: true, calls: [] });
    expect(await run(up, press(ADMIN_ID, adminGroup))).toEqual({ passed: true, calls: [] });
  });

  it.each(["/health", "/help", "/start", "/health@reply_guy_test_bot", "/help me"])("still runs %s while it is down", async (text) => {
    expect(await run(down, message(ADMIN_ID, adminGroup, text))).toEqual({ passed: true, calls: [] });
  });

  it("the notice tells the admin what is wrong and when to retry (Telegram refuses an empty text)", () => {
    expect(DATABASE_DOWN_TEXT).toBe("Database unavailable, retrying — try again in a minute.");
  });

  it("answers other commands and texts with the notice while it is down", async () => {
    expect(await run(down, message(ADMIN_ID, adminGroup, "/queue"))).toEqual({ passed: false, calls: [["sendMessage", DATABASE_DOWN_TEXT]] });
    expect(await run(down, message(ADMIN_ID, adminGroup, "new draft text"))).toEqual({ passed: false, calls: [["sendMessage", DATABASE_DOWN_TEXT]] });
  });

  it("answers a button press with the notice, and ignores what has no text", async () => {
    expect(await run(down, press(ADMIN_ID, adminGroup))).toEqual({ passed: false, calls: [["answerCallbackQuery", DATABASE_DOWN_TEXT]] });
    expect(await run(down, message(ADMIN_ID, adminGroup, undefined))).toEqual({ passed: false, calls: [] });
    expect(await run(down, inlineQuery(ADMIN_ID))).toEqual({ passed: false, calls: [] });
  });
});
