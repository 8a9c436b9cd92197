import { and, gte, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { workflowEvents } from "../db/schema.js";
import { wallClock } from "../text/time.js";
import type { WorkflowEventKind } from "./stats.js";

const HOUR_MS = 3_600_000;

/** The event kinds the dashboard charts hour by hour. */
export const HOURLY_KINDS = ["discovered", "drafted", "published", "failed"] as const satisfies readonly WorkflowEventKind[];

/** An event kind of {@link HOURLY_KINDS}. */
export type HourlyKind = (typeof HOURLY_KINDS)[number];

/** One hour on the admins' clock and how many events of each charted kind happened in it. */
export interface HourBucket {
  /** The first instant of the hour. */
  readonly start: Date;
  readonly counts: Readonly<Record<HourlyKind, number>>;
}

/**
 * The first instant of the hour `now` is in on the wall clock of `timeZone`. Zones sit a whole number of quarter
 * hours off UTC, so the local minutes and seconds are what has passed of the local hour.
 */
export function localHourStart(now: Date, timeZone: string): Date {
  const wall = wallClock(now.getTime(), timeZone);
  return new Date(now.getTime() - wall.minute * 60_000 - wall.second * 1_000 - (now.getTime() % 1_000));
}

/**
 * Counts the charted workflow events per local hour over the last `hours` hours, the current (partial) hour last:
 * always `hours` buckets, oldest first, empty hours at zero.
 */
export async function hourlyCounts(db: Database, now: Date, timeZone: string, hours = 24): Promise<HourBucket[]> {
  const from = new Date(localHourStart(now, timeZone).getTime() - (hours - 1) * HOUR_MS);
  const to = new Date(from.getTime() + hours * HOUR_MS);
  // Buckets are counted from `from` in whole hours, so they follow the local hours whatever the database's zone.
  const bucket = sql<number>`floor(extract(epoch from (${workflowEvents.at} - ${from.toISOString()}::timestamptz)) / 3600)`;
  const rows = await db
    .select({ bucket: bucket.mapWith(Number), kind: workflowEvents.kind, n: sql<number>`count(*)`.mapWith(Number) })
    .from(workflowEvents)
    .where(and(inArray(workflowEvents.kind, [...HOURLY_KINDS]), gte(workflowEvents.at, from), lt(workflowEvents.at, to)))
    // By position: the bucket expression carries a parameter, and a repeated parameter is another expression to PostgreSQL.
    .groupBy(sql`1, 2`);
  const buckets = Array.from({ length: hours }, (_, i) => ({
    start: new Date(from.getTime() + i * HOUR_MS),
    counts: { discovered: 0, drafted: 0, published: 0, failed: 0 } satisfies Record<HourlyKind, number>,
  }));
  for (const row of rows) {
    const kind = HOURLY_KINDS.find((charted) => charted === row.kind);
    const target = buckets[row.bucket];
    if (kind !== undefined && target !== undefined) target.counts[kind] = row.n;
  }
  return buckets;
}
