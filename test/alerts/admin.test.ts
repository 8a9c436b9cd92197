/**
 * What admins read and do through alerting's admin side, straight on its API: the statistics in full (rounded mean
 * latency, a channel resting after a 429), the latest alerts without folded repeats, the dead letters and the retry
 * queue in their orders and default limits, and the answers of a reprocess.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Alerting } from "../../src/alerts/alerting.js";
import { ALERT_RETENTION_DAYS } from "../../src/alerts/retention.js";
import type { AlertStatus } from "../../src/db/schema-alerts.js";
import { alertDeliveries, alerts } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertingFor, clearAlertTables, fakeClock, T0, type FakeClock } from "./support.js";

describe.each(databaseTargets())("alert admin ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let tg: TelegramEmulator;
  let clock: FakeClock;
  let alerting: Alerting;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterAll(async () => {
    await tg.close();
  });
  beforeEach(() => {
    tg.reset();
    clock = fakeClock();
    alerting = alertingFor(tg, db(), clock).alerting;
  });

  /** Stores `count` alerts of `status` straight in the table; their ids, oldest first. */
  async function stored(count: number, status: AlertStatus): Promise<number[]> {
    const rows = await db()
      .insert(alerts)
      .values(
        Array.from({ length: count }, (_, index) => ({
          type: "bot_started",
          level: "warning",
          message: `${status} ${index}`,
          occurredAt: T0,
          nextAttemptAt: T0,
          status,
        })),
      )
      .returning({ id: alerts.id });
    return rows.map((row) => row.id);
  }

  it("show every figure of an untouched alerting", async () => {
    const idle = { attempts: 0, successes: 0, failures: 0, successRate: null, meanLatencyMs: null, breaker: "closed", restingUntil: null };
    expect(await alerting.statistics()).toStrictEqual({
      channels: {
        telegram: { configured: true, enabled: true, ...idle },
        webhook: { configured: false, enabled: false, ...idle },
        email: { configured: false, enabled: false, ...idle },
      },
      alerts: { pending: 0, retrying: 0, delivered: 0, merged: 0, dead: 0 },
      rules: expect.any(Object) as unknown,
      enabledChannels: ["telegram"],
      minLevel: "info",
      dedupWindowSeconds: 300,
      bufferedInMemory: 0,
      retentionDays: ALERT_RETENTION_DAYS,
    });
  });

  it("count a channel configured once its settings are present, and render with the time zone and every secret masked", async () => {
    const hookUrl = "https://hooks.example/T0001/B0001/xyzsecret";
    const { alerting: full, config } = alertingFor(tg, db(), clock, {
      ALERT_WEBHOOK_URL: hookUrl,
      SMTP_URL: "smtp://127.0.0.1:9",
      ALERT_EMAIL_TO: "ops@localhost",
    });
    expect(full.configuredChannels).toEqual(["telegram", "webhook", "email"]);
    const stats = await full.statistics();
    expect([stats.channels.webhook.configured, stats.channels.email.configured]).toEqual([true, true]);
    expect(full.format).toEqual({ timeZone: "Europe/Berlin", secrets: expect.arrayContaining([config.telegram.token, hookUrl]) as unknown });
  });

  it("count deliveries per channel, with the mean latency rounded, and alerts per status", async () => {
    const [id] = await stored(1, "delivered");
    await stored(2, "merged");
    await stored(1, "dead");
    const delivery = { alertId: id!, channel: "telegram", kind: "send" as const, at: T0 };
    await db().insert(alertDeliveries).values([
      { ...delivery, ok: true, latencyMs: 10 },
      { ...delivery, ok: false, latencyMs: 15 },
      { ...delivery, ok: true, latencyMs: 16 },
    ]);
    const stats = await alerting.statistics();
    expect(stats.channels.telegram).toMatchObject({ attempts: 3, successes: 2, failures: 1, meanLatencyMs: 14 });
    expect(stats.channels.telegram.successRate).toBeCloseTo(2 / 3);
    expect(stats.alerts).toEqual({ pending: 0, retrying: 0, delivered: 1, merged: 2, dead: 1 });
  });

  it("say until when a channel rests after a 429", async () => {
    tg.injectFault("sendMessage", { status: 429, retryAfter: 30 });
    await alerting.raise({ type: "bot_started", level: "warning", message: "up" });
    await alerting.deliverDue();
    expect((await alerting.statistics()).channels.telegram.restingUntil).toBe(new Date(T0.getTime() + 30_000).toISOString());
    clock.advance(30_000);
    expect((await alerting.statistics()).channels.telegram.restingUntil).toBeNull();
  });

  it("list the latest five alerts that are not folded repeats, newest first", async () => {
    const delivered = await stored(6, "delivered");
    await stored(1, "merged");
    expect((await alerting.latest()).map((alert) => alert.id)).toEqual(delivered.slice(1).reverse());
    expect((await alerting.latest(2)).map((alert) => alert.id)).toEqual(delivered.slice(4).reverse());
  });

  it("list the dead letters newest first and the retry queue in delivery order, a hundred of each by default", async () => {
    const dead = await stored(101, "dead");
    const pending = await stored(101, "pending");
    await stored(1, "delivered");
    expect((await alerting.deadLetters()).map((alert) => alert.id)).toEqual(dead.slice(1).reverse());
    expect((await alerting.deadLetters(1)).map((alert) => alert.id)).toEqual([dead.at(-1)]);
    expect((await alerting.retryQueue()).map((alert) => alert.id)).toEqual(pending.slice(0, 100));
    expect((await alerting.retryQueue(1)).map((alert) => alert.id)).toEqual([pending[0]]);
  });

  it("reprocess a dead letter through the rule when no channel is forced, and refuse anything else by name", async () => {
    const [dead] = await stored(1, "dead");
    const result = await alerting.reprocess(dead!, []);
    expect(result).toMatchObject({ ok: true, alert: { id: dead, status: "delivered", deliveredChannel: "telegram", forcedChannels: null } });
    expect(tg.calls("sendMessage")).toHaveLength(1);
    expect(await alerting.reprocess(dead!)).toEqual({ ok: false, status: 409, error: `alert ${dead} is delivered, not a dead letter` });
    expect(await alerting.reprocess(dead! + 1)).toEqual({ ok: false, status: 404, error: `no alert ${dead! + 1}` });
  });

  it("reprocess gives a dead letter its retries afresh: one failed round leaves it pending, not dead again", async () => {
    const [dead] = await stored(1, "dead");
    await db().update(alerts).set({ failedAttempts: 5 }).where(eq(alerts.id, dead!));
    tg.injectFault("sendMessage", { status: 500 });
    const result = await alerting.reprocess(dead!);
    expect(result).toMatchObject({ ok: true, alert: { id: dead, status: "pending", failedAttempts: 1 } });
    expect((await alerting.statistics()).alerts).toMatchObject({ pending: 1, retrying: 1, dead: 0 });
    expect((await alerting.retryQueue()).map((alert) => alert.id)).toEqual([dead]);
  });

  it("set and reset a level's rule and the enabled channels, as the statistics then show them", async () => {
    const { alerting: full } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: "http://127.0.0.1:9/hook" });
    expect((await full.statistics()).rules.critical.custom).toBe(false);
    await full.setRule("critical", { primary: "webhook", fallbacks: ["telegram"], strategy: "round_robin" });
    expect((await full.statistics()).rules.critical).toEqual({ primary: "webhook", fallbacks: ["telegram"], strategy: "round_robin", custom: true });
    expect(await full.resetRule("critical")).toBe(true);
    expect(await full.resetRule("critical")).toBe(false);
    expect((await full.statistics()).rules.critical.custom).toBe(false);

    await full.setEnabledChannels(["webhook"]);
    const stats = await full.statistics();
    expect(stats.enabledChannels).toEqual(["webhook"]);
    expect([stats.channels.telegram.enabled, stats.channels.webhook.enabled]).toEqual([false, true]);
  });

  it("reprocess a dead letter through the forced channels", async () => {
    const [dead] = await stored(1, "dead");
    expect(await alerting.reprocess(dead!, ["telegram"])).toMatchObject({ ok: true, alert: { status: "delivered", forcedChannels: ["telegram"] } });
  });
});
