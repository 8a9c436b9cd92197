/**
 * One alert's round over its channels: a round where every channel only asked to wait (or was still
 * resting) waits until the earliest rest ends and is no failure; a round where one channel really
 * failed is a failed round, backed off, even if another only asked to wait; a round with no usable
 * channel is a failed round that says so. The reasons are kept in the alert's last error.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALERT_RETRY_BASE_MS } from "../../src/alerts/send-alert.js";
import { createAlertState } from "../../src/alerts/state.js";
import { alertDeliveries, alerts } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertingFor, clearAlertTables, fakeClock, startWebhookReceiver, type FakeClock, type WebhookReceiver } from "./support.js";

const SECOND = 1_000;

describe.each(databaseTargets())("sending one alert ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let tg: TelegramEmulator;
  let hook: WebhookReceiver;
  let clock: FakeClock;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    hook = await startWebhookReceiver();
  });
  afterAll(async () => {
    await tg.close();
    await hook.close();
  });
  beforeEach(() => {
    tg.reset();
    hook.status = 200;
    hook.received.length = 0;
    clock = fakeClock();
  });

  const pending = async () => {
    const [row] = await db().select().from(alerts);
    return row!;
  };
  const raiseOne = async () => {
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url });
    await alerting.raise({ type: "publication_failed", level: "error", key: "r", message: "X answered 503" });
    return alerting;
  };

  it("waits, without a failed round, until the earliest rest ends when every channel asked to wait", async () => {
    const alerting = await raiseOne();
    tg.injectFault("sendMessage", { status: 429, retryAfter: 10 }, 1);
    hook.status = 429; // no retry-after header: the webhook rests 30 s
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, failed: 0, blocked: true });
    let row = await pending();
    expect(row).toMatchObject({ status: "pending", failedAttempts: 0 });
    expect(row.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 10 * SECOND);
    expect(row.lastError).toMatch(/^telegram 429: .*; webhook answered 429: /);

    clock.advance(10 * SECOND - 1);
    hook.status = 200;
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, blocked: true }); // not due yet
    clock.set(new Date(row.nextAttemptAt.getTime()));
    tg.injectFault("sendMessage", { status: 429, retryAfter: 40 }, 1);
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, failed: 0, blocked: true });
    row = await pending();
    // Telegram asked again for 40 s; the webhook still rests (until 30 s after the first round): the earlier end wins.
    expect(row.nextAttemptAt.getTime()).toBe(row.occurredAt.getTime() + 30 * SECOND);
    expect(row.lastError).toBe(
      `telegram 429: Too Many Requests: retry after 40; webhook: resting until 2025-07-01 14:00:30 (Europe/Berlin)`,
    );
    expect(hook.received).toHaveLength(0);
  });

  it("counts a failed round when one channel failed, even if another only asked to wait", async () => {
    const alerting = await raiseOne();
    tg.injectFault("sendMessage", { status: 429, retryAfter: 10 }, 1);
    hook.status = 500;
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, failed: 1, blocked: true });
    const row = await pending();
    expect(row.failedAttempts).toBe(1);
    expect(row.nextAttemptAt.getTime()).toBe(clock.now().getTime() + ALERT_RETRY_BASE_MS);
    expect(row.lastError).toMatch(/^telegram 429: .*; webhook answered 500: webhook down$/);
    const tries = await db().select({ channel: alertDeliveries.channel, kind: alertDeliveries.kind }).from(alertDeliveries);
    expect(tries).toEqual([
      { channel: "telegram", kind: "send" },
      { channel: "webhook", kind: "send" },
    ]);
  });

  it("counts a failed round, and says why, when no channel is enabled", async () => {
    const alerting = await raiseOne();
    await createAlertState(db()).setEnabledChannels([]);
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, failed: 1 });
    expect(await pending()).toMatchObject({ failedAttempts: 1, lastError: "no configured and enabled channel for this alert" });
    expect(tg.calls("sendMessage")).toHaveLength(0);
  });
});
