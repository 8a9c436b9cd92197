/**
 * One delivery run's bounds: at most 50 alerts a run (the rest wait for the next one), and a run
 * that loses the worker lease midway (it ran out and another replica took it) stops at once.
 */
import { Api } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTelegramAlertSender, type TelegramAlertSender } from "../../src/alerts/channels.js";
import { createAlertState } from "../../src/alerts/state.js";
import { ADMIN_CHAT } from "../support/app-harness.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertingFor, clearAlertTables, fakeClock, type FakeClock } from "./support.js";

describe.each(databaseTargets())("a delivery run ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let tg: TelegramEmulator;
  let clock: FakeClock;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterAll(async () => {
    await tg.close();
  });
  beforeEach(() => {
    tg.reset();
    clock = fakeClock();
  });

  it("delivers at most 50 alerts, in order; the next run takes the rest", async () => {
    const { alerting } = alertingFor(tg, db(), clock, {}, { telegramPerMinute: 1_000 });
    for (let i = 1; i <= 51; i++) await alerting.raise({ type: "crash_recovered", level: "warning", key: String(i), message: `number ${i}` });
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 50, blocked: false });
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 1 });
    const numbers = tg.botMessages(ADMIN_CHAT.id).map((m) => Number(/number (\d+)/.exec(m.text)![1]));
    expect(numbers).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });

  it("holds the lease for 120 s while it runs, and gives it back when done", async () => {
    const other = createAlertState(db());
    const real = createTelegramAlertSender(new Api(tg.token, { apiRoot: tg.apiRoot }), ADMIN_CHAT.id);
    const takenMidRun: boolean[] = [];
    const telegram: TelegramAlertSender = {
      edit: (messageId, html) => real.edit(messageId, html),
      async send(html) {
        clock.advance(119_000); // a slow send, still within the lease
        takenMidRun.push(await other.acquireLease("another-replica", clock.now().getTime(), clock.now().getTime() + 60_000));
        return real.send(html);
      },
    };
    const { alerting } = alertingFor(tg, db(), clock, {}, { telegram });
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "1", message: "number 1" });
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "2", message: "number 2" });
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 2 });
    expect(takenMidRun).toEqual([false, false]); // renewed before the second alert
    expect(await other.acquireLease("another-replica", clock.now().getTime(), clock.now().getTime() + 60_000)).toBe(true);
  });

  it("stops when another replica took the lease after it ran out", async () => {
    const other = createAlertState(db());
    const real = createTelegramAlertSender(new Api(tg.token, { apiRoot: tg.apiRoot }), ADMIN_CHAT.id);
    let stolen = false;
    const telegram: TelegramAlertSender = {
      edit: (messageId, html) => real.edit(messageId, html),
      async send(html) {
        const messageId = await real.send(html);
        if (!stolen) {
          stolen = true;
          clock.advance(121_000); // this run stalled past its 120 s lease…
          await other.acquireLease("another-replica", clock.now().getTime(), clock.now().getTime() + 60_000); // …and another took it
        }
        return messageId;
      },
    };
    const { alerting } = alertingFor(tg, db(), clock, {}, { telegram });
    for (let i = 1; i <= 3; i++) await alerting.raise({ type: "crash_recovered", level: "warning", key: String(i), message: `number ${i}` });
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 1, skipped: false });
    expect(tg.botMessages(ADMIN_CHAT.id)).toHaveLength(1);
    clock.advance(61_000);
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 2 });
  });
});
