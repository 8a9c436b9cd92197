/**
 * Never lost, never blocking, in order: alerts raised while Telegram answers 429 or is down arrive
 * later in the order they were raised; the webhook and e-mail take over when Telegram fails;
 * failed rounds back off 60 s × 2^n and end in the dead letters after 5 retries; an admin
 * reprocesses one through the HTTP API, forcing a channel. Strategies: priority order, round
 * robin, health based.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Alerting } from "../../src/alerts/alerting.js";
import { CHANNEL_BREAKER_COOLDOWN_MS } from "../../src/alerts/channel-health.js";
import { alertRetryDelayMs, ALERT_MAX_RETRIES } from "../../src/alerts/send-alert.js";
import { createAlertState } from "../../src/alerts/state.js";
import { alertDeliveries, alerts } from "../../src/db/schema.js";
import { registerAlertRoutes } from "../../src/http/alerts-routes.js";
import { HttpServer } from "../../src/http/server.js";
import { ADMIN_CHAT } from "../support/app-harness.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import {
  alertingFor,
  clearAlertTables,
  fakeClock,
  startSmtpReceiver,
  startWebhookReceiver,
  type FakeClock,
  type SmtpReceiver,
  type WebhookReceiver,
} from "./support.js";

const SECOND = 1_000;
const TOKEN = "admin-token-0123456789abcdef";

describe.each(databaseTargets())("alert delivery ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let tg: TelegramEmulator;
  let clock: FakeClock;
  let hook: WebhookReceiver;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    hook = await startWebhookReceiver();
    smtp = await startSmtpReceiver();
  });
  afterAll(async () => {
    await tg.close();
    await hook.close();
    await smtp.close();
  });
  beforeEach(() => {
    tg.reset();
    clock = fakeClock();
    hook.received.length = 0;
    hook.status = 200;
    smtp.mails.length = 0;
  });

  const texts = () => tg.botMessages(ADMIN_CHAT.id).map((m) => m.text);
  const raiseNumbered = async (alerting: Alerting, n: number, prefix: string) => {
    for (let i = 1; i <= n; i++) {
      await alerting.raise({ type: "crash_recovered", level: "warning", key: `${prefix}${i}`, message: `${prefix} number ${i}` });
      clock.advance(SECOND);
    }
  };
  /** The numbers of the Telegram messages about `prefix`, in the order they arrived. */
  const order = (prefix: string) => texts().filter((t) => t.includes(prefix)).map((t) => Number(/number (\d+)/.exec(t)![1]));

  it("delivers alerts raised during a 429 after retry_after, in order, without counting a failure", async () => {
    const { alerting } = alertingFor(tg, db(), clock);
    tg.injectFault("sendMessage", { status: 429, retryAfter: 1 }, 1);
    await raiseNumbered(alerting, 5, "A");
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, failed: 0, blocked: true });
    expect(texts()).toHaveLength(0);
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, blocked: true }); // still resting: no call
    expect(tg.calls("sendMessage")).toHaveLength(1);
    const [head] = await alerting.retryQueue();
    expect(head).toMatchObject({ failedAttempts: 0 });

    clock.advance(SECOND);
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 5, blocked: false });
    expect(order("A number")).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps alerts pending while Telegram is down and delivers them in order once it is back", async () => {
    const { alerting } = alertingFor(tg, db(), clock);
    tg.setDown(true);
    await raiseNumbered(alerting, 3, "B");
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, failed: 1, blocked: true });
    tg.setDown(false);
    await raiseNumbered(alerting, 2, "C");
    // The first alert waits out its 60 s backoff, and everything after it waits with it.
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, blocked: true });
    expect(texts()).toHaveLength(0);
    clock.advance(60 * SECOND);
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 5 });
    expect(texts().map((t) => /(B|C) number (\d)/.exec(t)![0])).toEqual([
      "B number 1",
      "B number 2",
      "B number 3",
      "C number 1",
      "C number 2",
    ]);
  });

  it("falls back to the webhook when Telegram fails, with Slack and Discord fields", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url });
    tg.setDown(true);
    await alerting.raise({ type: "publication_failed", level: "error", key: "reply:9", message: "X answered 503", details: { reply: 9 } });
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 1 });
    expect(hook.received).toHaveLength(1);
    const payload = hook.received[0]!;
    expect(payload).toMatchObject({ type: "publication_failed", level: "error", key: "reply:9", details: { reply: 9 }, kind: "alert" });
    expect(payload.text).toContain("[ERROR] publication_failed (reply:9)");
    expect(payload.content).toBe(payload.text);
    const [row] = await db().select().from(alerts);
    expect(row).toMatchObject({ status: "delivered", deliveredChannel: "webhook" });
    const stats = await alerting.statistics();
    expect(stats.channels.telegram).toMatchObject({ attempts: 1, successes: 0, failures: 1, successRate: 0 });
    expect(stats.channels.webhook).toMatchObject({ attempts: 1, successes: 1, failures: 0, successRate: 1 });
    expect(stats.channels.webhook.meanLatencyMs).toEqual(expect.any(Number));
  });

  it("falls back to e-mail when Telegram and the webhook fail", async () => {
    const { alerting } = alertingFor(tg, db(), clock, {
      ALERT_WEBHOOK_URL: hook.url,
      SMTP_URL: smtp.url,
      ALERT_EMAIL_TO: "admins@example.test",
      ALERT_EMAIL_FROM: "bot@example.test",
    });
    tg.setDown(true);
    hook.status = 500;
    await alerting.raise({
      type: "session_failed",
      level: "critical",
      key: "main",
      message: "X rejected the credentials of @replyguy (401)",
      details: { account: "main" },
    });
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 1 });
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(["admins@example.test"]);
    expect(mail.from).toBe("bot@example.test");
    expect(mail.subject).toBe("[reply-guy-bot] CRITICAL session_failed: X rejected the credentials of @replyguy (401)");
    expect(mail.raw).toContain("[CRITICAL] session_failed (main)");
    expect(mail.raw).toContain("Time: 2025-07-01 14:00:00 (Europe/Berlin)");
    expect(mail.raw).toContain("account: main");
    const [row] = await db().select().from(alerts);
    expect(row).toMatchObject({ status: "delivered", deliveredChannel: "email" });
    const stats = await alerting.statistics();
    expect(stats.channels.webhook).toMatchObject({ attempts: 1, failures: 1 });
    expect(stats.channels.email).toMatchObject({ attempts: 1, successes: 1 });
  });

  it("retries with backoff 60 s × 2^n, dead-letters after 5 retries, and reprocesses through the API", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url, ADMIN_API_TOKEN: TOKEN });
    await alerting.setRule("error", { primary: "telegram", fallbacks: [], strategy: "priority_order" });
    tg.setDown(true);
    await alerting.raise({ type: "dlq_exhausted", level: "error", key: "reply:3", message: "gave up on reply 3" });

    expect(await alerting.deliverDue()).toMatchObject({ failed: 1 });
    for (let retry = 1; retry <= ALERT_MAX_RETRIES; retry++) {
      const delay = alertRetryDelayMs(retry);
      expect(delay).toBe(60 * SECOND * 2 ** (retry - 1));
      clock.advance(delay - 1);
      const before = tg.calls("sendMessage").length;
      expect(await alerting.deliverDue()).toMatchObject({ failed: 0, dead: 0, blocked: true });
      expect(tg.calls("sendMessage")).toHaveLength(before);
      clock.advance(1);
      const run = await alerting.deliverDue();
      expect(tg.calls("sendMessage")).toHaveLength(before + 1);
      expect(run).toMatchObject(retry < ALERT_MAX_RETRIES ? { failed: 1, dead: 0 } : { failed: 0, dead: 1 });
    }
    expect(tg.calls("sendMessage")).toHaveLength(1 + ALERT_MAX_RETRIES);
    const [dead] = await alerting.deadLetters();
    expect(dead).toMatchObject({ status: "dead", failedAttempts: 6, type: "dlq_exhausted" });
    expect(dead!.lastError).toContain("telegram 502");
    expect(hook.received).toHaveLength(0);

    const http = new HttpServer(silentLogger());
    registerAlertRoutes(http, alerting, TOKEN);
    const address = await http.listen("127.0.0.1", 0);
    try {
      const base = `http://127.0.0.1:${address.port}/api/v1/fallback`;
      const listed = await fetch(`${base}/dead-letters`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(await listed.json()).toMatchObject({ count: 1, deadLetters: [{ id: dead!.id, status: "dead" }] });

      const response = await fetch(`${base}/dead-letters/${dead!.id}/reprocess`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ channels: ["webhook"] }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ alert: { id: dead!.id, status: "delivered", deliveredChannel: "webhook" } });
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]).toMatchObject({ type: "dlq_exhausted", message: "gave up on reply 3" });
      expect(tg.calls("sendMessage")).toHaveLength(1 + ALERT_MAX_RETRIES); // the forced channel only

      const again = await fetch(`${base}/dead-letters/${dead!.id}/reprocess`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(again.status).toBe(409);
      expect(await alerting.deadLetters()).toHaveLength(0);
    } finally {
      await http.close();
    }
  });

  it("round robin alternates the channels of a level", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url });
    await alerting.setRule("warning", { primary: "telegram", fallbacks: ["webhook"], strategy: "round_robin" });
    await raiseNumbered(alerting, 4, "R");
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 4 });
    expect(order("R number")).toEqual([1, 3]);
    expect(hook.received.map((p) => p.message)).toEqual(["R number 2", "R number 4"]);
  });

  it("health based skips a channel whose breaker opened after 3 failures, and probes it after 60 s", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url });
    await alerting.setRule("warning", { primary: "telegram", fallbacks: ["webhook"], strategy: "health_based" });
    tg.setDown(true);
    await raiseNumbered(alerting, 5, "H");
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 5 });
    expect(tg.calls("sendMessage")).toHaveLength(3); // the 4th and 5th went straight to the webhook
    expect(hook.received).toHaveLength(5);
    expect((await alerting.statistics()).channels.telegram.breaker).toBe("open");

    tg.setDown(false);
    clock.advance(61 * SECOND);
    expect((await alerting.statistics()).channels.telegram.breaker).toBe("half_open");
    await raiseNumbered(alerting, 1, "P");
    await alerting.deliverDue();
    expect(texts()).toEqual([expect.stringContaining("P number 1")]);
    expect((await alerting.statistics()).channels.telegram.breaker).toBe("closed");
  });

  it("health based waits, without a failed round, while every channel's breaker is open, then probes the first to reopen", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url });
    await alerting.setRule("warning", { primary: "telegram", fallbacks: ["webhook"], strategy: "health_based" });
    // Three failed tries in a row per channel, as a process before a restart recorded them.
    const telegramFailedAt = new Date(clock.now().getTime() - 10 * SECOND);
    const webhookFailedAt = new Date(clock.now().getTime() - 5 * SECOND);
    await db().insert(alertDeliveries).values(
      (["telegram", "webhook"] as const).flatMap((channel) =>
        [1, 2, 3].map(() => ({
          alertId: 0,
          channel,
          kind: "send" as const,
          ok: false,
          latencyMs: 5,
          error: `${channel} down`,
          at: channel === "telegram" ? telegramFailedAt : webhookFailedAt,
        })),
      ),
    );
    const stats = await alerting.statistics();
    expect([stats.channels.telegram.breaker, stats.channels.webhook.breaker]).toEqual(["open", "open"]);

    await raiseNumbered(alerting, 2, "S");
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, failed: 0, dead: 0, blocked: true });
    expect(tg.calls("sendMessage")).toHaveLength(0);
    expect(hook.received).toHaveLength(0);
    const [head] = await alerting.retryQueue();
    expect(head).toMatchObject({ failedAttempts: 0, lastError: "every channel's breaker is open" });
    expect(head!.nextAttemptAt.getTime()).toBe(telegramFailedAt.getTime() + CHANNEL_BREAKER_COOLDOWN_MS);

    clock.set(new Date(head!.nextAttemptAt.getTime() - 1));
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, blocked: true });
    expect(tg.calls("sendMessage")).toHaveLength(0);
    clock.advance(1); // Telegram's breaker half-opens first (the webhook's is open 5 s longer): its probe succeeds
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 2, failed: 0 });
    expect(order("S number")).toEqual([1, 2]);
    expect(hook.received).toHaveLength(0);
  });

  it("uses only the channels an admin enabled", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url });
    await alerting.setEnabledChannels(["webhook"]);
    await raiseNumbered(alerting, 1, "E");
    await alerting.deliverDue();
    expect(tg.calls("sendMessage")).toHaveLength(0);
    expect(hook.received).toHaveLength(1);
  });

  it("lets one worker deliver at a time (the lease), and drops alerts below the minimum level", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { MIN_ALERT_LEVEL: "warning" });
    await alerting.raise({ type: "bot_started", level: "info", message: "hello" });
    await raiseNumbered(alerting, 1, "L");
    const other = createAlertState(db());
    expect(await other.acquireLease("another-replica", clock.now().getTime(), clock.now().getTime() + 60 * SECOND)).toBe(true);
    expect(await alerting.deliverDue()).toMatchObject({ skipped: true, delivered: 0 });
    clock.advance(61 * SECOND); // the other replica died: its lease runs out
    expect(await alerting.deliverDue()).toMatchObject({ skipped: false, delivered: 1 });
    expect(texts()).toEqual([expect.stringContaining("L number 1")]);
  });
});
