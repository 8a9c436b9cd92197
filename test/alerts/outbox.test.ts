/**
 * raise() never throws and never waits on delivery: with the database away the alert waits in a
 * bounded in-memory buffer, in order, and the next delivery run stores and sends it. Failures of
 * one kind add up to a single multiple_failures alert.
 */
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FailureCounter, MULTIPLE_FAILURES_THRESHOLD, MULTIPLE_FAILURES_WINDOW_MS } from "../../src/alerts/failure-counter.js";
import { ALERT_BUFFER_LIMIT } from "../../src/alerts/outbox.js";
import type { Database } from "../../src/db/database.js";
import { alerts } from "../../src/db/schema.js";
import { ADMIN_CHAT } from "../support/app-harness.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger } from "../support/logger.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertingFor, clearAlertTables, fakeClock, type FakeClock } from "./support.js";
import { failingBuilder } from "../support/failing-builder.js";

/** The database, except that inserts fail while broken (`fail(Infinity)` until `recover()`). */
function flaky(db: Database) {
  return failingBuilder(db, "insert", () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }));
}

describe("FailureCounter", () => {
  it("trips once per N failures of one kind within the window", () => {
    const counter = new FailureCounter(3, 60_000);
    const at = (s: number) => new Date(1_000_000 + s * 1000);
    expect(counter.record("x", at(0))).toBeUndefined();
    expect(counter.record("y", at(1))).toBeUndefined();
    expect(counter.record("x", at(2))).toBeUndefined();
    expect(counter.record("x", at(3))).toBe(3);
    expect(counter.count("x", at(3))).toBe(0);
    expect(counter.record("x", at(4))).toBeUndefined();
    expect(counter.record("x", at(70))).toBeUndefined(); // the one at 4 s slid out of the window
    expect(counter.count("x", at(70))).toBe(1);
  });

  it("defaults to 5 within 10 minutes", () => {
    expect(MULTIPLE_FAILURES_THRESHOLD).toBe(5);
    expect(MULTIPLE_FAILURES_WINDOW_MS).toBe(600_000);
  });
});

describe.each(databaseTargets())("alert outbox ($name)", (target) => {
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

  it("keeps alerts in memory while the database is away and stores and sends them, in order, afterwards", async () => {
    const { db: flakyDb, fail, recover } = flaky(db());
    const { alerting } = alertingFor(tg, flakyDb, clock);
    fail(Infinity);
    await expect(alerting.raise({ type: "crash_recovered", level: "warning", key: "1", message: "first" })).resolves.toBeUndefined();
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "2", message: "second" });
    expect(alerting.buffered).toBe(2);
    expect(await db().select().from(alerts)).toHaveLength(0);
    expect((await alerting.statistics()).bufferedInMemory).toBe(2);

    recover();
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 2 });
    expect(alerting.buffered).toBe(0);
    expect(tg.botMessages(ADMIN_CHAT.id).map((m) => /(first|second)/.exec(m.text)?.[0])).toEqual(["first", "second"]);
  });

  it("stores a new alert behind the buffered ones, never before them", async () => {
    const { db: flakyDb, fail, recover } = flaky(db());
    const { alerting } = alertingFor(tg, flakyDb, clock);
    fail(Infinity);
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "1", message: "older" });
    recover();
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "2", message: "newer" });
    const rows = await db().select().from(alerts).orderBy(asc(alerts.id));
    expect(rows.map((row) => row.message)).toEqual(["older", "newer"]);
  });

  it("bounds the buffer, dropping the oldest, and says how many were lost", async () => {
    const { db: flakyDb, fail, recover } = flaky(db());
    const { alerting } = alertingFor(tg, flakyDb, clock);
    fail(Infinity);
    for (let i = 1; i <= ALERT_BUFFER_LIMIT + 5; i++) {
      await alerting.raise({ type: "crash_recovered", level: "warning", key: String(i), message: `n${i}` });
    }
    expect(alerting.buffered).toBe(ALERT_BUFFER_LIMIT);
    recover();
    await alerting.raise({ type: "bot_stopped", level: "warning", message: "after" });
    const rows = await db().select().from(alerts).orderBy(asc(alerts.id));
    expect(rows).toHaveLength(ALERT_BUFFER_LIMIT + 1); // the note and 499 alerts, then "after"
    // The note takes the place of the lost ones, at the front.
    expect(rows[0]).toMatchObject({ type: "multiple_failures", level: "error", dedupKey: "alert_buffer_overflow", details: { lost: 6 } });
    expect(rows[0]!.message).toBe(
      `6 alerts were lost: the database was unavailable and the in-memory buffer (${ALERT_BUFFER_LIMIT}) was full.`,
    );
    expect(rows[1]!.message).toBe("n7");
    expect(rows.at(-1)!.message).toBe("after");
  });

  it("logs an outage once when it starts and once when the buffered alerts are stored", async () => {
    const { db: flakyDb, fail, recover } = flaky(db());
    const { logger, lines } = capturingLogger();
    const { alerting } = alertingFor(tg, flakyDb, clock, {}, { logger });
    const count = (text: string) => lines.filter((line) => line.includes(text)).length;
    const raise = (message: string) => alerting.raise({ type: "crash_recovered", level: "warning", key: message, message });
    await raise("before");
    fail(Infinity);
    for (const message of ["a", "b", "c"]) await raise(message);
    expect(count("could not store an alert; keeping it in memory")).toBe(1);
    recover();
    await raise("back");
    await raise("normal");
    expect(count("stored alerts kept in memory while the database was away")).toBe(1);
    fail(Infinity);
    await raise("again");
    expect(count("could not store an alert; keeping it in memory")).toBe(2);
  });

  it("holds exactly as many alerts as the buffer's limit without losing one", async () => {
    const { db: flakyDb, fail, recover } = flaky(db());
    const { alerting } = alertingFor(tg, flakyDb, clock);
    fail(Infinity);
    for (let i = 1; i <= ALERT_BUFFER_LIMIT; i++) {
      await alerting.raise({ type: "crash_recovered", level: "warning", key: String(i), message: `n${i}` });
    }
    recover();
    await alerting.raise({ type: "bot_stopped", level: "warning", message: "after" });
    const rows = await db().select().from(alerts).orderBy(asc(alerts.id));
    expect(rows).toHaveLength(ALERT_BUFFER_LIMIT + 1);
    expect(rows[0]!.message).toBe("n1");
    expect(rows.filter((row) => row.dedupKey === "alert_buffer_overflow")).toEqual([]);
  });

  it("a second overflow, after the database came back in between, gets a note of its own", async () => {
    const { db: flakyDb, fail, recover } = flaky(db());
    const { alerting } = alertingFor(tg, flakyDb, clock);
    const overflow = async (round: number, extra: number) => {
      fail(Infinity);
      for (let i = 1; i <= ALERT_BUFFER_LIMIT + extra; i++) {
        await alerting.raise({ type: "crash_recovered", level: "warning", key: `${round}:${i}`, message: `r${round} n${i}` });
      }
      recover();
      await alerting.raise({ type: "bot_stopped", level: "warning", key: String(round), message: `after ${round}` });
    };
    await overflow(1, 2);
    await overflow(2, 4);
    const notes = await db().select().from(alerts).where(eq(alerts.dedupKey, "alert_buffer_overflow")).orderBy(asc(alerts.id));
    expect(notes.map((note) => note.details)).toEqual([{ lost: 3 }, { lost: 5 }]);
  });

  it("turns 5 failures of one kind within 10 minutes into one multiple_failures alert, even below the minimum level", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { MIN_ALERT_LEVEL: "warning" });
    for (let i = 0; i < 9; i++) {
      await alerting.raise({ type: "tweet_processing_failed", level: "debug", key: `tweet:${i}`, message: `could not draft ${i}` });
      clock.advance(30_000);
    }
    const rows = await db().select().from(alerts);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: "multiple_failures", level: "error", dedupKey: "tweet_processing_failed" });
    expect(rows[0]!.message).toBe("5 tweet_processing_failed failures within 10 minutes.");
    expect(rows[0]!.details).toMatchObject({ kind: "tweet_processing_failed", count: 5, last: "could not draft 4" });
    await alerting.deliverDue();
    expect(tg.botMessages(ADMIN_CHAT.id)).toHaveLength(1);
  });

  it("counts failures the caller reports without an alert of their own", async () => {
    const { alerting } = alertingFor(tg, db(), clock);
    for (let i = 0; i < 5; i++) await alerting.recordFailure("x_timeout", "X did not answer in 15 s");
    const rows = await db().select().from(alerts);
    expect(rows).toEqual([expect.objectContaining({ type: "multiple_failures", dedupKey: "x_timeout" })]);
  });
});
