/**
 * Events per local hour (the dashboard's charts) on PGlite and PostgreSQL: the hours are those of the zone's wall
 * clock (half past on the UTC clock in Kolkata), each starts inclusive and ends exclusive, the 24th is the current
 * one, and only the charted kinds count.
 */
import { describe, expect, it } from "vitest";
import { workflowEvents } from "../../src/db/schema.js";
import { recordEvent, type WorkflowEventKind } from "../../src/workflow/stats.js";
import { hourlyCounts, localHourStart } from "../../src/workflow/stats-hourly.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";

const NOW = new Date("2026-07-01T10:20:00Z");

describe.each(databaseTargets())("hourly workflow counts ($name)", (target) => {
  const db = useTestDatabase(target, (db) => db.delete(workflowEvents));

  const record = async (kind: WorkflowEventKind, at: string) => recordEvent(db(), { kind, at: new Date(at) });
  const series = async (timeZone: string, kind: "discovered" | "published") =>
    (await hourlyCounts(db(), NOW, timeZone)).map((bucket) => bucket.counts[kind]);

  it("starts the local hour on the zone's clock", () => {
    expect(localHourStart(NOW, "Asia/Kolkata")).toEqual(new Date("2026-07-01T09:30:00Z"));
    expect(localHourStart(NOW, "UTC")).toEqual(new Date("2026-07-01T10:00:00Z"));
    expect(localHourStart(new Date("2026-07-01T10:20:33.250Z"), "America/St_Johns")).toEqual(new Date("2026-07-01T09:30:00Z"));
  });

  it("counts 24 local hours, the current one last, bounds inclusive at the start", async () => {
    await record("published", "2026-07-01T09:29:59Z"); // Kolkata 14:59:59: the hour before
    await record("published", "2026-07-01T09:30:00Z"); // 15:00:00: the current hour
    await record("published", "2026-07-01T10:29:59Z"); // 15:59:59: the current hour
    await record("published", "2026-07-01T10:30:00Z"); // 16:00: after the current hour
    await record("published", "2026-06-30T10:30:00Z"); // 16:00 yesterday: the first hour shown
    await record("published", "2026-06-30T10:29:59Z"); // 15:59:59 yesterday: before it
    await record("approved", "2026-07-01T09:45:00Z"); // not a charted kind
    await record("discovered", "2026-07-01T09:45:00Z");

    const kolkata = await series("Asia/Kolkata", "published");
    expect(kolkata).toHaveLength(24);
    expect(kolkata[0]).toBe(1);
    expect(kolkata[22]).toBe(1);
    expect(kolkata[23]).toBe(2);
    expect(kolkata.reduce((a, b) => a + b, 0)).toBe(4);
    expect(await series("Asia/Kolkata", "discovered")).toEqual([...Array<number>(23).fill(0), 1]);

    // In UTC the same instants fall into whole UTC hours: 09:29:59 and 09:30 share the 09:00 hour.
    const utc = await series("UTC", "published");
    expect(utc[22]).toBe(2);
    expect(utc[23]).toBe(2);
    expect(utc[0]).toBe(0);
  });
  it("keeps each charted kind in its own count, and each bucket starts on its local hour", async () => {
    await record("discovered", "2026-07-01T10:01:00Z");
    await record("drafted", "2026-07-01T10:02:00Z");
    await record("drafted", "2026-07-01T10:03:00Z");
    await record("published", "2026-07-01T10:04:00Z");
    await record("failed", "2026-07-01T09:04:00Z");
    const buckets = await hourlyCounts(db(), NOW, "UTC", 3);
    expect(buckets).toEqual([
      { start: new Date("2026-07-01T08:00:00Z"), counts: { discovered: 0, drafted: 0, published: 0, failed: 0 } },
      { start: new Date("2026-07-01T09:00:00Z"), counts: { discovered: 0, drafted: 0, published: 0, failed: 1 } },
      { start: new Date("2026-07-01T10:00:00Z"), counts: { discovered: 1, drafted: 2, published: 1, failed: 0 } },
    ]);
  });
});
