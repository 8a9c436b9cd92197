/**
 * /alerts through the Telegram emulator: channels with their numbers, the rules, the retry queue
 * and dead-letter counts and the latest alerts; strangers get nothing.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alerting } from "../../src/alerts/alerting.js";
import { createAlertsFeature } from "../../src/bot/features/alerts.js";
import { REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { alerts } from "../../src/db/schema.js";
import { ADMIN, ADMIN_CHAT, STRANGER } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertingFor, fakeClock, startWebhookReceiver, type WebhookReceiver } from "./support.js";

describe("/alerts", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let hook: WebhookReceiver;
  let alerting: Alerting;
  let bot: FeatureBot;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    hook = await startWebhookReceiver();
    const clock = fakeClock();
    ({ alerting } = alertingFor(tg, database.handle.db, clock, { ALERT_WEBHOOK_URL: hook.url }));

    await alerting.setRule("critical", { primary: "webhook", fallbacks: ["telegram"], strategy: "round_robin" });
    await alerting.raise({ type: "bot_started", level: "warning", message: "bot <b>up</b>" });
    await alerting.deliverDue();
    await alerting.raise({ type: "dlq_exhausted", level: "error", key: "reply:4", message: "gave up on reply 4" });
    await alerting.deliverDue();
    const [dead] = await database.handle.db.select().from(alerts).where(eq(alerts.type, "dlq_exhausted"));
    await database.handle.db.update(alerts).set({ status: "dead", failedAttempts: 6 }).where(eq(alerts.id, dead!.id));
    tg.setDown(true);
    hook.status = 503;
    clock.advance(1_000);
    await alerting.raise({ type: "session_failed", level: "critical", key: "main", message: "X said 401" });
    await alerting.deliverDue();
    tg.setDown(false);
    hook.status = 200;
    tg.reset();
    bot = startFeatureBot(tg, database.handle, [createAlertsFeature({ alerts: alerting })], { BOT_TIMEZONE: "Europe/Berlin" });
  });
  afterAll(async () => {
    await bot.stop();
    await tg.close();
    await hook.close();
    await database.dispose();
  });

  it("shows channels, rules, queue counts and the latest alerts", async () => {
    await tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/alerts" });
    const message = await tg.waitForBotMessage((m) => m.text.includes("<b>Alerts</b>"));
    expect(message.parseMode).toBe("HTML");
    const text = message.text;
    expect(text).toContain("level ≥ info");
    expect(text).toContain("Queue: 1 pending (1 retrying) · 1 dead letters · 1 delivered");
    expect(text).toMatch(/🟢 telegram: 3 tries, 2 ok, 1 failed \(67%\), \d+ ms mean/);
    expect(text).toMatch(/webhook: 1 tries, 0 ok, 1 failed \(0%\)/);
    expect(text).toContain("⚪️ email: not configured");
    expect(text).toContain("critical: webhook → telegram (round robin, set by an admin)");
    expect(text).toContain("warning: telegram → webhook (priority order)");
    expect(text).toMatch(/#\d+ <b>CRITICAL<\/b> <code>session_failed<\/code> · 2025-07-01 14:00:01 \(Europe\/Berlin\) · pending/);
    expect(text).toMatch(/#\d+ <b>ERROR<\/b> <code>dlq_exhausted<\/code> .* · dead letter/);
    expect(text).toContain("delivered via telegram");
    expect(text).toContain("bot &lt;b&gt;up&lt;/b&gt;");
  });

  it("says nothing to a stranger", async () => {
    await tg.sendText({ from: STRANGER, chat: ADMIN_CHAT, text: "/alerts" });
    await tg.sendText({ from: STRANGER, text: "/alerts" });
    await tg.waitForBotMessage((m) => m.text === REFUSAL_TEXT);
    expect(tg.botMessages().filter((m) => m.text.includes("<b>Alerts</b>") && m.chatId !== ADMIN_CHAT.id)).toHaveLength(0);
    expect(tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("<b>Alerts</b>"))).toHaveLength(1); // the admin's, earlier
  });
});
