/**
 * Who may act, end to end on the real app (emulator, fake X, fake OpenAI, PGlite): a press is judged by who pressed
 * it, with a channel as the admin chat too; admins act only in the admin chat and in private; strangers and
 * malformed input change no row of any table (conversation storage included).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { STALE_BUTTON_TEXT } from "../../src/bot/features/unhandled.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, STRANGER, startTestApp, type TestApp } from "../support/app-harness.js";
import { snapshotTables } from "../support/table-snapshot.js";
import type { EmulatorChat } from "../support/telegram-emulator/index.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const CHANNEL: EmulatorChat = { id: -1_001_234_567_890, type: "channel", title: "Reply Guy channel" };

/** The value of one sample of the app's /metrics (0 when absent). */
async function metric(app: TestApp, name: string): Promise<number> {
  const text = await (await fetch(`${app.httpUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

describe("a channel as ADMIN_CHAT_ID: presses only from ADMIN_USER_IDS", () => {
  let rig: WorkflowRig;
  let app: TestApp;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    app = await startTestApp(rig.tg, { env: rig.env({ ADMIN_CHAT_ID: String(CHANNEL.id) }) });
  });
  afterAll(async () => {
    await app.stop();
    await rig.close();
  });

  it("refuses a subscriber's press on a card whose sender_chat is the channel and changes nothing; an admin's press publishes", async () => {
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy channel card please?" });
    await app.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === CHANNEL.id && m.text.includes("channel card please?") && m.inlineKeyboard.length > 0);
    const approve = buttonData(card, "Approve");
    const before = await snapshotTables(app.database.handle.db);

    const refused = await rig.tg.pressButton({ from: STRANGER, chat: CHANNEL, messageId: card.messageId, data: approve });
    expect((await rig.tg.waitForCallbackAnswer(refused)).text).toBe(REFUSAL_TEXT);
    expect(await snapshotTables(app.database.handle.db)).toEqual(before);
    expect(rig.tg.botMessages(CHANNEL.id).find((m) => m.messageId === card.messageId)?.editCount).toBe(0);
    expect(rig.posts()).toHaveLength(0);

    const accepted = await rig.tg.pressButton({ from: ADMIN, chat: CHANNEL, messageId: card.messageId, data: approve });
    await rig.tg.waitForCallbackAnswer(accepted);
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.x.repliesTo(mention.id)).toHaveLength(1);
  });

  it("refuses a press whose callback data holds a number too big for an integer column, before any SQL", async () => {
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy overflow card?" });
    await app.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.text.includes("overflow card?") && m.inlineKeyboard.length > 0);
    const before = await snapshotTables(app.database.handle.db);
    for (const data of ["v1:a:9999999999:1", "v1:a:2147483648:1", "v1:r:1:99999999999", "v1:q:4294967296"]) {
      const id = await rig.tg.pressButton({ from: ADMIN, chat: CHANNEL, messageId: card.messageId, data, force: true });
      expect((await rig.tg.waitForCallbackAnswer(id)).text).toBe(STALE_BUTTON_TEXT);
    }
    expect(await snapshotTables(app.database.handle.db)).toEqual(before);
    expect(rig.x.repliesTo(mention.id)).toHaveLength(0);
  });
});

describe("strangers cost nothing; admins act only in the admin chat and in private", () => {
  let rig: WorkflowRig;
  let app: TestApp;

  /** Sends `text` as the admin in private and waits for the bot's next message there. */
  async function adminSays(text: string): Promise<string> {
    const lastId = Math.max(0, ...rig.tg.botMessages(ADMIN.id).map((m) => m.messageId));
    await rig.tg.sendText({ from: ADMIN, text });
    return (await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN.id && m.messageId > lastId)).text;
  }

  beforeAll(async () => {
    rig = await startWorkflowRig();
    app = await startTestApp(rig.tg, { env: rig.env() });
    await rig.tg.waitForBotMessage((m) => m.text.includes("Recovery report"));
  });
  afterAll(async () => {
    await app.stop();
    await rig.close();
  });

  it("a stranger's commands, texts and presses leave every table unchanged, are counted, and are refused aloud once", async () => {
    rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy stranger danger?" });
    await app.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.text.includes("stranger danger?") && m.inlineKeyboard.length > 0);
    const before = await snapshotTables(app.database.handle.db);
    const refusedBefore = await metric(app, "rgb_updates_refused_total");

    await rig.tg.sendText({ from: STRANGER, text: "/help" });
    await rig.tg.sendText({ from: STRANGER, text: "/targets add @stranger" });
    await rig.tg.sendText({ from: STRANGER, chat: ADMIN_CHAT, text: "/optout @alice" });
    const first = await rig.tg.pressButton({ from: STRANGER, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Edit") });
    const second = await rig.tg.pressButton({ from: STRANGER, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
    expect((await rig.tg.waitForCallbackAnswer(first)).text).toBeUndefined();
    expect((await rig.tg.waitForCallbackAnswer(second)).text).toBeUndefined();

    // The admin's own command is handled after the stranger's updates reached the bot.
    await adminSays("/help");
    expect(rig.tg.botMessages(STRANGER.id).map((m) => m.text)).toEqual([REFUSAL_TEXT]);
    expect(await snapshotTables(app.database.handle.db)).toEqual(before);
    expect(await metric(app, "rgb_updates_refused_total")).toBe(refusedBefore + 5);
  });

  it("ignores an admin's command in some other group", async () => {
    const otherGroup: EmulatorChat = { id: -2_002, type: "group", title: "elsewhere" };
    const before = await snapshotTables(app.database.handle.db);
    await rig.tg.sendText({ from: ADMIN, chat: otherGroup, text: "/targets add @elsewhere" });
    expect(await adminSays("/targets list")).toContain("No targets yet");
    expect(rig.tg.botMessages(otherGroup.id)).toHaveLength(0);
    expect(await snapshotTables(app.database.handle.db)).toEqual(before);
  });

  it.each([
    ["/targets add @not-a-handle", "an X username is 1–15 letters"],
    ["/targets add @sixteen_chars_xx", "an X username is 1–15 letters"],
    ["/optout @bad handle", "Usage: /optout @username"],
    ["/optout @'; drop table opt_outs; --", "Usage: /optout @username"],
    ["/optin @ünïcode", "Usage: /optin @username"],
  ])("answers %s with a short usage line and writes nothing", async (text, expected) => {
    const before = await snapshotTables(app.database.handle.db);
    expect(await adminSays(text)).toContain(expected);
    expect(await snapshotTables(app.database.handle.db)).toEqual(before);
  });
});
