/**
 * Webhook mode (BOT_MODE=webhook) on the whole app: Telegram (the emulator) is told the URL and secret at boot by the
 * leader, and the test posts updates to the bot's HTTP server the way Telegram would. On PGlite (one process); the
 * replica cases on PostgreSQL are in test/replicas/webhook-replicas.test.ts.
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { replies, telegramUpdates } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";
import { postWebhook, takeUpdate, WEBHOOK, WEBHOOK_ENV } from "../support/webhook.js";

describe("webhook mode", () => {
  let rig: WorkflowRig;
  let app: TestApp | undefined;

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  const start = async (env: Record<string, string> = WEBHOOK_ENV) => {
    app = await startTestApp(rig.tg, { env: rig.env(env) });
    return app;
  };
  const healthAnswers = () => rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("Health:"));
  const recorded = async (running: TestApp) => running.database.handle.db.select().from(telegramUpdates);
  /** A /health command from the admin, as Telegram would post it. */
  const healthUpdate = async () => {
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    return takeUpdate(rig.tg);
  };

  it("the leader sets the webhook at boot with the secret and keeps pending updates; nobody polls or deletes it", async () => {
    await start();
    const set = await rig.tg.waitForCall("setWebhook");
    expect(set.payload).toMatchObject({
      url: WEBHOOK.url,
      secret_token: WEBHOOK.secret,
      allowed_updates: ["message", "edited_message", "callback_query"],
      drop_pending_updates: false,
    });
    expect(rig.tg.calls("setWebhook")).toHaveLength(1);
    expect(rig.tg.calls("getUpdates")).toEqual([]);
    expect(rig.tg.calls("deleteWebhook")).toEqual([]);
    const ready = await fetch(`${app!.httpUrl}/ready`);
    expect(await ready.json()).toEqual({ ready: true, database: true, polling: true });
  });

  it("a setWebhook Telegram refuses at boot is retried until it is set; /ready waits for it", async () => {
    rig.tg.injectFault("setWebhook", { status: 502 });
    const running = await start();
    expect((await fetch(`${running.httpUrl}/ready`)).status).toBe(503);
    await expect.poll(() => rig.tg.calls("setWebhook").filter((call) => call.ok === true).length, { timeout: 5_000 }).toBe(1);
    expect(rig.tg.calls("setWebhook").map((call) => call.errorCode)).toEqual([502, undefined]);
    expect((await fetch(`${running.httpUrl}/ready`)).status).toBe(200);
  });

  it("polling mode deletes any webhook before it polls, and sets none", async () => {
    await start({});
    // A long poll is answered only when it ends: wait for it to be asked.
    await expect.poll(() => rig.tg.calls("getUpdates").length).toBeGreaterThan(0);
    const [deleted] = rig.tg.calls("deleteWebhook");
    expect(deleted).toBeDefined();
    expect(deleted!.at).toBeLessThanOrEqual(rig.tg.calls("getUpdates")[0]!.at);
    expect(rig.tg.calls("setWebhook")).toEqual([]);
    // No webhook route in polling mode.
    expect((await postWebhook(app!.httpUrl, { update_id: 1, message: { message_id: 1 } })).status).toBe(404);
  });

  it("answers /health delivered by webhook and records its update id", async () => {
    const running = await start();
    const update = await healthUpdate();
    const response = await postWebhook(running.httpUrl, update);
    expect(response.status).toBe(200);
    // Answered after the handler: the reply is already out.
    expect(healthAnswers()).toHaveLength(1);
    expect((await recorded(running)).map((row) => row.updateId)).toEqual([update.update_id]);
  });

  it.each([
    ["missing", null],
    ["wrong", "not-the-secret"],
    ["wrong by one character", `${WEBHOOK.secret.slice(0, -1)}4`],
    ["empty", ""],
  ])("a %s secret gets 401 and nothing is handled, whatever the body", async (_name, secret) => {
    const running = await start();
    const update = await healthUpdate();
    expect((await postWebhook(running.httpUrl, update, secret)).status).toBe(401);
    expect((await postWebhook(running.httpUrl, "{not json", secret)).status).toBe(401);
    expect(await recorded(running)).toEqual([]);
    // The same update with the secret is still new: the refused one left no trace.
    expect((await postWebhook(running.httpUrl, update)).status).toBe(200);
    expect(healthAnswers()).toHaveLength(1);
  });

  it.each([
    ["not JSON", "{update_id: 1"],
    ["an empty body", ""],
    ["an array", [{ update_id: 1, message: {} }]],
    ["no update_id", { message: { text: "/health" } }],
    ["a string update_id", { update_id: "7", message: {} }],
    ["a negative update_id", { update_id: -1, message: {} }],
    ["a fractional update_id", { update_id: 1.5, message: {} }],
    ["no payload", { update_id: 7 }],
  ])("a body that is %s gets 400", async (_name, body) => {
    const running = await start();
    const response = await postWebhook(running.httpUrl, body);
    expect(response.status).toBe(400);
    expect(await recorded(running)).toEqual([]);
  });

  it("the same update delivered twice, then three times at once, is handled once", async () => {
    const running = await start();
    const update = await healthUpdate();
    expect((await postWebhook(running.httpUrl, update)).status).toBe(200);
    expect((await postWebhook(running.httpUrl, update)).status).toBe(200);
    const other = await healthUpdate();
    const statuses = await Promise.all([1, 2, 3].map(async () => (await postWebhook(running.httpUrl, other)).status));
    expect(statuses).toEqual([200, 200, 200]);
    expect(healthAnswers()).toHaveLength(2);
    expect((await recorded(running)).map((row) => row.updateId).sort()).toEqual([update.update_id, other.update_id].sort());
  });

  it("an Edit press and the new text posted at once are handled one after the other: the text lands in the conversation", async () => {
    const running = await start();
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy webhooks or polling?" });
    await running.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("webhooks or polling") && m.inlineKeyboard.length > 0);
    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Edit"), force: true });
    const press = await takeUpdate(rig.tg);
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "Webhooks, once each." });
    const text = await takeUpdate(rig.tg);
    // The press is slow to answer, so the text arrives while the conversation is being entered.
    rig.tg.injectFault("answerCallbackQuery", { delayMs: 300 });
    const statuses = await Promise.all([postWebhook(running.httpUrl, press), postWebhook(running.httpUrl, text)]);
    expect(statuses.map((r) => r.status)).toEqual([200, 200]);
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Webhooks, once each."));
    const [row] = await running.database.handle.db.select().from(replies).where(eq(replies.postTweetId, mention.id));
    expect(row?.draft).toBe("Webhooks, once each.");
  });

  it("forgets update ids older than 24 h (Telegram keeps updates no longer) on the first update it handles", async () => {
    const running = await start();
    const db = running.database.handle.db;
    await db.insert(telegramUpdates).values([
      { updateId: 1, receivedAt: new Date(Date.now() - 25 * 3600_000) },
      { updateId: 2, receivedAt: new Date(Date.now() - 23 * 3600_000) },
    ]);
    const update = await healthUpdate();
    expect((await postWebhook(running.httpUrl, update)).status).toBe(200);
    await expect.poll(async () => (await recorded(running)).map((row) => row.updateId).sort((a, b) => a - b)).toEqual([2, update.update_id]);
    expect(await db.select().from(telegramUpdates).where(eq(telegramUpdates.updateId, 1))).toEqual([]);
  });
});
