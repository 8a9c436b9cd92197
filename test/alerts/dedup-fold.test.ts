/**
 * Folding repeats, row by row: a pending repeat goes into the newest delivered alert of its type
 * and key within the window, with its pending siblings; the folded alert counts them and keeps the
 * latest repeat's time; a reprocessed alert is never folded, nor folded into; an alert with no
 * repeats is left as it was.
 */
import { asc } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { createDedup, type Dedup } from "../../src/alerts/dedup.js";
import type { AlertRecord } from "../../src/alerts/records.js";
import { alerts } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearAlertTables, fakeClock, T0, type FakeClock } from "./support.js";

const WINDOW = 300_000;

describe.each(databaseTargets())("dedup folding ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let clock: FakeClock;
  let dedup: Dedup;

  beforeEach(() => {
    clock = fakeClock();
    dedup = createDedup({ db: db(), windowMs: WINDOW, now: clock.now });
  });

  /** Stores an alert `offset` ms after T0. */
  async function stored(
    offset: number,
    status: "pending" | "delivered" = "pending",
    extra: { forcedChannels?: string[]; lastRepeatAt?: Date; repeatCount?: number } = {},
  ): Promise<AlertRecord> {
    const at = new Date(T0.getTime() + offset);
    const [row] = await db()
      .insert(alerts)
      .values({ type: "session_failed", level: "critical", dedupKey: "main", message: "401", occurredAt: at, nextAttemptAt: at, status, ...extra })
      .returning();
    return row!;
  }
  const rowsById = async () => db().select().from(alerts).orderBy(asc(alerts.id));

  it("folds a repeat and its pending siblings into the newest delivered alert, counting them and keeping the latest time", async () => {
    const older = await stored(0, "delivered");
    const newer = await stored(1_000, "delivered", { repeatCount: 1, lastRepeatAt: new Date(T0.getTime() + 90_000) });
    const repeat = await stored(20_000);
    await stored(60_000);
    expect(await dedup.foldIntoDelivered(repeat)).toBe(2);
    const rows = await rowsById();
    expect(rows.find((row) => row.id === older.id)).toMatchObject({ repeatCount: 0, lastRepeatAt: null });
    expect(rows.find((row) => row.id === newer.id)).toMatchObject({
      repeatCount: 3,
      lastRepeatAt: new Date(T0.getTime() + 90_000), // a repeat folded earlier was later than these
    });
    expect(rows.filter((row) => row.status === "merged").map((row) => row.mergedInto)).toEqual([newer.id, newer.id]);
  });

  it("leaves an alert with no repeats as it was", async () => {
    const head = await stored(0);
    await stored(1_000, "pending", { forcedChannels: ["webhook"] });
    const { head: after, merged } = await dedup.absorbRepeats(head);
    expect(merged).toBe(0);
    expect(after).toEqual(head);
    expect((await rowsById())[0]).toMatchObject({ repeatCount: 0, lastRepeatAt: null, updatedAt: head.updatedAt });
  });

  it("never folds a reprocessed alert into a delivered one", async () => {
    await stored(0, "delivered");
    const forced = await stored(1_000, "pending", { forcedChannels: ["webhook"] });
    await stored(2_000); // a plain repeat behind it: folded when its own turn comes, not on the reprocessed one's
    expect(await dedup.foldIntoDelivered(forced)).toBe(0);
    expect((await rowsById()).map((row) => row.status)).toEqual(["delivered", "pending", "pending"]);
  });

  it("folds nothing when the window is 0, not even a later row stamped earlier by a replica with a slower clock", async () => {
    const noWindow = createDedup({ db: db(), windowMs: 0, now: clock.now });
    await stored(1_000, "delivered");
    const pendingHead = await stored(1_000);
    const skewed = await stored(0);
    expect(await noWindow.foldIntoDelivered(skewed)).toBe(0);
    expect(await noWindow.absorbRepeats(pendingHead)).toEqual({ head: pendingHead, merged: 0 });
    expect((await rowsById()).map((row) => row.status)).toEqual(["delivered", "pending", "pending"]);
  });

  it("takes the latest of the folded repeats' times", async () => {
    const head = await stored(0);
    await stored(50_000);
    await stored(20_000);
    const { head: after, merged } = await dedup.absorbRepeats(head);
    expect(merged).toBe(2);
    expect(after).toMatchObject({ repeatCount: 2, lastRepeatAt: new Date(T0.getTime() + 50_000), updatedAt: clock.now() });
  });
});
