/**
 * Webhook mode with two replicas (in-process apps) on one PostgreSQL database (a fresh one per test on
 * TEST_DATABASE_URL; skipped without it): only the leader sets the webhook, an update posted to both is handled once,
 * and one chat's updates posted to different replicas are handled one after the other (the chat's advisory lock).
 */
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { replies, telegramUpdates } from "../../src/db/schema.js";
import { openPostgres } from "../../src/db/postgres.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { createPostgresTestDatabase, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { postWebhook, takeUpdate, WEBHOOK_ENV } from "../support/webhook.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const serverUrl = process.env.TEST_DATABASE_URL;

describe.runIf(serverUrl)("webhook mode, two replicas on one PostgreSQL database", () => {
  let rig: WorkflowRig;
  let database: TestDatabase | undefined;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    for (const app of apps.splice(0).reverse()) await app.stop();
    await database?.dispose();
    database = undefined;
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  /** Two replicas of one database, leader first. */
  async function startReplicas(): Promise<[TestApp, TestApp]> {
    database = await createPostgresTestDatabase(serverUrl!);
    const url = database.url!;
    const env = rig.env({ ...WEBHOOK_ENV, DATABASE_URL: url });
    const first = await startTestApp(rig.tg, { env, database });
    apps.push(first);
    const own = openPostgres(url, silentLogger());
    const second = await startTestApp(rig.tg, { env, database: { handle: own, url, dispose: () => own.close() } });
    apps.push(second);
    expect([first.app.leadership.status().role, second.app.leadership.status().role]).toEqual(["leader", "standby"]);
    return [first, second];
  }

  const healthUpdate = async () => {
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    return takeUpdate(rig.tg);
  };

  it("the leader alone sets the webhook, with the secret", async () => {
    await startReplicas();
    expect(rig.tg.calls("setWebhook").map((call) => call.payload.secret_token)).toEqual([WEBHOOK_ENV.WEBHOOK_SECRET]);
    expect(rig.tg.calls("getUpdates")).toEqual([]);
  });

  it("either replica takes updates; one update posted to both replicas at once, twice each, is handled once", async () => {
    const [leader, standby] = await startReplicas();
    const first = await healthUpdate();
    expect((await postWebhook(standby.httpUrl, first)).status).toBe(200);
    const update = await healthUpdate();
    const posts = [leader, standby, leader, standby].map((app) => postWebhook(app.httpUrl, update));
    expect((await Promise.all(posts)).map((response) => response.status)).toEqual([200, 200, 200, 200]);
    expect(rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("Health:"))).toHaveLength(2);
    const rows = await leader.database.handle.db.select().from(telegramUpdates);
    expect(rows.map((row) => row.updateId).sort()).toEqual([first.update_id, update.update_id].sort());
  });

  it("an Edit press on one replica and its text on the other, posted while the press is handled, run one after the other", async () => {
    const [leader, standby] = await startReplicas();
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy one chat, two replicas?" });
    await leader.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("one chat, two replicas") && m.inlineKeyboard.length > 0);
    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Edit"), force: true });
    const press = await takeUpdate(rig.tg);
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "Locked per chat, across replicas." });
    const text = await takeUpdate(rig.tg);
    // The press's answer is slow: the text arrives at the other replica while the press is still being handled.
    rig.tg.injectFault("answerCallbackQuery", { delayMs: 700 });
    const pressed = postWebhook(leader.httpUrl, press);
    await expect.poll(() => rig.tg.calls("answerCallbackQuery").length).toBe(1);
    const texted = postWebhook(standby.httpUrl, text);
    expect((await Promise.all([pressed, texted])).map((response) => response.status)).toEqual([200, 200]);
    // The text went into the conversation (the card itself is redrawn by the leader's card sync, not by a stand-by).
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("updated; approve it"));
    const [row] = await leader.database.handle.db.select().from(replies).where(eq(replies.postTweetId, mention.id));
    expect(row?.draft).toBe("Locked per chat, across replicas.");
  });

  it("a card button handled by a stand-by redraws the card at once: the stand-by announces it and the leader draws", async () => {
    const [leader, standby] = await startReplicas();
    rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy approved on a stand-by?" });
    await leader.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("approved on a stand-by") && m.inlineKeyboard.length > 0);
    const editsBefore = rig.tg.calls("editMessageText").length;
    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve"), force: true });

    expect((await postWebhook(standby.httpUrl, await takeUpdate(rig.tg))).status).toBe(200);

    // Far sooner than the leader's next maintenance run (every minute): the NOTIFY 'cards' woke its card sync.
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && /Scheduled for|Publishing|Published/.test(m.text), 5_000);
    expect(rig.tg.calls("editMessageText").length).toBeGreaterThan(editsBefore);
  });
});
