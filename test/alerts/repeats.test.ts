/**
 * Showing the repeats of delivered alerts: on the channel that delivered it, not while that channel
 * rests, again on the next run after a failed try, at most 20 a run; repeats whose channel is gone
 * or that are more than a day old are given up on without a try.
 */
import { asc } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { createChannelAttempt } from "../../src/alerts/channel-attempt.js";
import { createChannelGate, type ChannelGate } from "../../src/alerts/channel-gate.js";
import { ChannelError, type ChannelDriver } from "../../src/alerts/channels.js";
import { createRepeatShower, type ShowRepeats } from "../../src/alerts/repeats.js";
import { createRouter, type Routing } from "../../src/alerts/routing.js";
import { createAlertState } from "../../src/alerts/state.js";
import type { AlertChannel } from "../../src/alerts/types.js";
import { alertDeliveries, alerts } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger } from "../support/logger.js";
import { clearAlertTables, fakeClock, type FakeClock } from "./support.js";

const HOUR = 3_600_000;

/** A Telegram-like driver that records the updates it makes; `failing` makes them throw, `newMessageId` is what they answer. */
interface RecordingDriver extends ChannelDriver {
  readonly updates: { alertId: number; repeatCount: number; messageId: number | null }[];
  failing: boolean;
  newMessageId: number | undefined;
}

function recordingDriver(name: AlertChannel): RecordingDriver {
  const driver: RecordingDriver = {
    name,
    editable: true,
    updates: [],
    failing: false,
    newMessageId: undefined,
    send: () => Promise.resolve(undefined),
    update: (alert, messageId) => {
      if (driver.failing) return Promise.reject(new ChannelError(`${name} down`));
      driver.updates.push({ alertId: alert.id, repeatCount: alert.repeatCount, messageId });
      return Promise.resolve(driver.newMessageId);
    },
  };
  return driver;
}

describe.each(databaseTargets())("showing repeats ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let clock: FakeClock;
  let gate: ChannelGate;
  let telegram: RecordingDriver;
  let show: ShowRepeats;
  let routing: Routing;
  let lines: string[];

  beforeEach(async () => {
    clock = fakeClock();
    gate = createChannelGate(1_000);
    telegram = recordingDriver("telegram");
    const capture = capturingLogger();
    lines = capture.lines;
    const drivers = { telegram };
    const attempt = createChannelAttempt({ db: db(), logger: capture.logger, drivers, gate, now: clock.now });
    show = createRepeatShower({ db: db(), logger: capture.logger, now: clock.now, windowMs: 300_000, drivers, gate, attempt });
    routing = await createRouter({ db: db(), state: createAlertState(db()), configured: ["telegram"] }).load();
  });

  /** A delivered alert on `channel` with `repeats` repeats not shown yet, the last one `ago` ms before now. */
  async function delivered(channel: string | null, repeats = 2, ago = 1_000, occurredAgo = ago): Promise<number> {
    const at = new Date(clock.now().getTime() - ago);
    const occurredAt = new Date(clock.now().getTime() - occurredAgo);
    const [row] = await db()
      .insert(alerts)
      .values({
        type: "rate_limit_exceeded",
        level: "warning",
        message: "X answered 429",
        occurredAt,
        nextAttemptAt: occurredAt,
        status: "delivered",
        deliveredChannel: channel,
        telegramMessageId: channel === "telegram" ? 500 : null,
        repeatCount: repeats,
        lastRepeatAt: at,
      })
      .returning({ id: alerts.id });
    return row!.id;
  }
  const shownOf = async () =>
    (await db().select().from(alerts).orderBy(asc(alerts.id))).map((row) => [row.repeatShown, row.telegramMessageId]);

  it("edits the delivering channel's message and keeps its id, or takes the new one a follow-up got", async () => {
    const first = await delivered("telegram", 3);
    expect(await show(routing)).toBe(1);
    expect(telegram.updates).toEqual([{ alertId: first, repeatCount: 3, messageId: 500 }]);
    telegram.newMessageId = 777;
    await delivered("telegram", 1);
    expect(await show(routing)).toBe(1);
    expect(await shownOf()).toEqual([
      [3, 500],
      [1, 777],
    ]);
    expect(await show(routing)).toBe(0);
  });

  it("gives up, without a try, on repeats whose channel is unknown or gone, or whose last repeat is more than a day old", async () => {
    await delivered("pigeon");
    await delivered(null);
    await delivered("email"); // e-mail is not configured any more
    await delivered("telegram", 2, 24 * HOUR + 1);
    await delivered("telegram", 4, 24 * HOUR);
    await delivered("telegram", 5, HOUR, 30 * HOUR); // first seen 30 h ago, but still repeating
    expect(await show(routing)).toBe(2);
    expect(telegram.updates.map((update) => update.repeatCount)).toEqual([4, 5]);
    expect((await shownOf()).map(([shown]) => shown)).toEqual([2, 2, 2, 2, 4, 5]);
    const tries = await db().select({ kind: alertDeliveries.kind, channel: alertDeliveries.channel }).from(alertDeliveries);
    expect(tries).toEqual([
      { kind: "update", channel: "telegram" },
      { kind: "update", channel: "telegram" },
    ]);
  });

  it("waits while the channel rests, and tries again on the next run after a failed try", async () => {
    await delivered("telegram");
    gate.rest("telegram", clock.now().getTime() + 5_000);
    expect(await show(routing)).toBe(0);
    expect(telegram.updates).toEqual([]);
    clock.advance(5_000);
    telegram.failing = true;
    expect(await show(routing)).toBe(0);
    expect(lines.join("")).toContain("could not show an alert's repeats; will try again");
    expect((await shownOf())[0]![0]).toBe(0);
    telegram.failing = false;
    expect(await show(routing)).toBe(1);
    expect((await shownOf())[0]![0]).toBe(2);
  });

  it("shows at most 20 a run, the oldest first", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 21; i++) ids.push(await delivered("telegram"));
    expect(await show(routing)).toBe(20);
    expect(telegram.updates.map((update) => update.alertId)).toEqual(ids.slice(0, 20));
    expect(await show(routing)).toBe(1);
    expect(telegram.updates.at(-1)!.alertId).toBe(ids[20]);
  });
});
