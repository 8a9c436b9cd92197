import { describe, expect, it } from "vitest";
import { workflowEvents } from "../../src/db/schema.js";
import { localDayStart, recordEvent, workflowStats, type WorkflowEventKind } from "../../src/workflow/stats.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";

const NEW_YORK = "America/New_York";
const zero = { discovered: 0, drafted: 0, approved: 0, rejected: 0, published: 0, failed: 0 };

describe("local day boundaries", () => {
  it("finds local midnight in a zone behind UTC, on both sides of a DST change", () => {
    // 2025-03-09 is the spring-forward day in New York: EST (-5) before, EDT (-4) after.
    const now = new Date("2025-03-10T04:30:00Z"); // 00:30 EDT on 10 March
    expect(localDayStart(now, NEW_YORK)).toEqual(new Date("2025-03-10T04:00:00Z"));
    expect(localDayStart(now, NEW_YORK, -1)).toEqual(new Date("2025-03-09T05:00:00Z"));
    expect(localDayStart(now, NEW_YORK, -6)).toEqual(new Date("2025-03-04T05:00:00Z"));
    expect(localDayStart(now, NEW_YORK, 1)).toEqual(new Date("2025-03-11T04:00:00Z"));
    // 03:59 UTC on 10 March is still 9 March in New York.
    expect(localDayStart(new Date("2025-03-10T03:59:59Z"), NEW_YORK)).toEqual(new Date("2025-03-09T05:00:00Z"));
  });

  it("finds midnight in a zone ahead of UTC and in UTC", () => {
    expect(localDayStart(new Date("2025-06-01T21:30:00Z"), "Asia/Kolkata")).toEqual(new Date("2025-06-01T18:30:00Z"));
    expect(localDayStart(new Date("2025-06-01T23:59:59Z"), "UTC")).toEqual(new Date("2025-06-01T00:00:00Z"));
  });

  it("starts a day whose midnight is skipped at the transition, and a repeated midnight at its first time", () => {
    // Santiago springs forward at 00:00 → 01:00 on 2024-09-08, and falls back 00:00 → 23:00 on 2024-04-07.
    expect(localDayStart(new Date("2024-09-08T12:00:00Z"), "America/Santiago")).toEqual(new Date("2024-09-08T04:00:00Z"));
    expect(localDayStart(new Date("2024-04-07T12:00:00Z"), "America/Santiago")).toEqual(new Date("2024-04-07T04:00:00Z"));
  });
});

describe.each(databaseTargets())("workflow stats on $name", (target) => {
  const db = useTestDatabase(target, (db) => db.delete(workflowEvents));

  const record = (kind: WorkflowEventKind, at: string): Promise<void> =>
    recordEvent(db(), { kind, at: new Date(at) });

  it("counts nothing on an empty table", async () => {
    const stats = await workflowStats(db(), new Date(), NEW_YORK);
    expect(stats.today).toEqual(zero);
    expect(stats.last7Days).toEqual(zero);
  });

  it("splits today and the last 7 local days at local midnight in the bot's time zone", async () => {
    const now = new Date("2025-03-10T15:00:00Z"); // 11:00 EDT on Monday 10 March
    await record("discovered", "2025-03-10T04:00:00Z"); // 00:00 EDT today: today
    await record("discovered", "2025-03-10T03:59:59Z"); // 23:59:59 yesterday: week only
    await record("published", "2025-03-10T14:59:00Z"); // today
    await record("drafted", "2025-03-04T05:00:00Z"); // 00:00 EST six days ago: week
    await record("drafted", "2025-03-04T04:59:59Z"); // 23:59:59 seven days ago: neither
    await record("approved", "2025-03-10T20:00:00Z"); // later today (database clock ahead): today
    await record("failed", "2025-03-11T04:00:00Z"); // tomorrow: neither
    await record("expired", "2025-03-10T12:00:00Z"); // not a counted kind
    await record("rejected", "2025-03-08T12:00:00Z");
    await record("rejected", "2025-03-09T12:00:00Z");

    const stats = await workflowStats(db(), now, NEW_YORK);
    expect(stats.today).toEqual({ ...zero, discovered: 1, published: 1, approved: 1 });
    expect(stats.last7Days).toEqual({ ...zero, discovered: 2, published: 1, approved: 1, drafted: 1, rejected: 2 });
    expect(stats.todayStart).toEqual(new Date("2025-03-10T04:00:00Z"));
    expect(stats.last7DaysStart).toEqual(new Date("2025-03-04T05:00:00Z"));

    // The same events seen from UTC fall on other days.
    const utc = await workflowStats(db(), now, "UTC");
    expect(utc.today).toEqual({ ...zero, discovered: 2, published: 1, approved: 1 });
    expect(utc.last7Days).toEqual({ ...zero, discovered: 2, published: 1, approved: 1, drafted: 2, rejected: 2 });
  });

  it("records an event stamped by the database clock with its details", async () => {
    await recordEvent(db(), { kind: "approved", replyId: 7, postTweetId: "123", actor: 1001 });
    const rows = await db().select().from(workflowEvents);
    expect(rows).toEqual([
      { id: expect.any(Number), kind: "approved", replyId: 7, postTweetId: "123", actor: 1001, at: expect.any(Date) },
    ]);
    const stats = await workflowStats(db(), rows[0]!.at, "UTC");
    expect(stats.today.approved).toBe(1);
  });
});
