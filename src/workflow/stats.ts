import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { localDayStart as dayStartIn } from "./schedule.js";
import type { Database } from "../db/database.js";
import { posts, workflowEvents } from "../db/schema.js";
import { SKIP_REASONS, skipReasonLabel, type SkipReason } from "./skip-reasons.js";

/** Every kind of row in `workflow_events`. */
export type WorkflowEventKind =
  | "discovered"
  | "drafted"
  | "approved"
  | "rejected"
  | "published"
  | "failed"
  | "expired"
  | "edited"
  | "regenerated"
  /** An admin attached media to a draft, or removed it. */
  | "media_attached"
  | "media_removed"
  | "skipped"
  /** An admin let another account post a reply whose last attempt may have posted. */
  | "released_unconfirmed";

/** The event kinds /stats counts, in the order it shows them. */
export const COUNTED_KINDS = ["discovered", "drafted", "approved", "rejected", "published", "failed"] as const satisfies
  readonly WorkflowEventKind[];

/** How many events of each counted kind happened in a period. */
export type Counts = Record<(typeof COUNTED_KINDS)[number], number>;

/** Posts skipped for one reason today and in the last 7 local days. */
export interface SkipCount {
  readonly reason: SkipReason | "other";
  readonly today: number;
  readonly last7Days: number;
}

/** The counts of today and of the last 7 local days (today included), with where each period starts. */
export interface WorkflowStats {
  readonly today: Counts;
  readonly last7Days: Counts;
  /** Skipped posts by reason, in {@link SKIP_REASONS} order; only reasons seen in the 7 days. */
  readonly skipped: readonly SkipCount[];
  /** Local midnight of today in the requested time zone. */
  readonly todayStart: Date;
  /** Local midnight six days before today. */
  readonly last7DaysStart: Date;
}

/** One event to record; `at` defaults to the database's now(). */
export interface WorkflowEvent {
  readonly kind: WorkflowEventKind;
  readonly replyId?: number;
  readonly postTweetId?: string;
  /** Telegram user id of the admin who caused it, if any. */
  readonly actor?: number;
  readonly at?: Date;
}

/** Appends one event to `workflow_events` (pass a transaction to record it with the change it describes). */
export async function recordEvent(db: Database, event: WorkflowEvent): Promise<void> {
  await db.insert(workflowEvents).values({
    kind: event.kind,
    replyId: event.replyId ?? null,
    postTweetId: event.postTweetId ?? null,
    actor: event.actor ?? null,
    ...(event.at !== undefined ? { at: event.at } : {}),
  });
}

const DAY_MS = 86_400_000;
/**
 * The first instant of the local calendar day `daysFromToday` days from the one `now` is in
 * (DST-safe: it asks for the day that contains noon of the wanted day).
 */
export function localDayStart(now: Date, timeZone: string, daysFromToday = 0): Date {
  const today = dayStartIn(now, timeZone);
  if (daysFromToday === 0) return today;
  return dayStartIn(new Date(today.getTime() + daysFromToday * DAY_MS + DAY_MS / 2), timeZone);
}

/** Per-kind counts from grouped rows; kinds that are not counted are ignored, missing ones are 0. */
function countsOf(rows: readonly { kind: string; n: number }[]): Counts {
  const counts: Counts = { discovered: 0, drafted: 0, approved: 0, rejected: 0, published: 0, failed: 0 };
  for (const row of rows) {
    const kind = COUNTED_KINDS.find((counted) => counted === row.kind);
    if (kind !== undefined) counts[kind] = row.n;
  }
  return counts;
}

/** Per-reason counts, unknown reasons folded into "other", in vocabulary order. */
function skipCountsOf(rows: readonly { reason: string | null; today: number; week: number }[]): SkipCount[] {
  const byReason = new Map<SkipReason | "other", { today: number; last7Days: number }>();
  for (const row of rows) {
    const reason = skipReasonLabel(row.reason);
    const sum = byReason.get(reason) ?? { today: 0, last7Days: 0 };
    byReason.set(reason, { today: sum.today + row.today, last7Days: sum.last7Days + row.week });
  }
  return [...SKIP_REASONS, "other" as const].flatMap((reason) => {
    const sum = byReason.get(reason);
    return sum ? [{ reason, ...sum }] : [];
  });
}

/** Counts the workflow events of today and of the last 7 local days in `timeZone`, as of `now`. */
export async function workflowStats(db: Database, now: Date, timeZone: string): Promise<WorkflowStats> {
  const todayStart = localDayStart(now, timeZone);
  const last7DaysStart = localDayStart(now, timeZone, -6);
  // Up to the end of today rather than `now`: an event stamped by a database clock slightly ahead still counts.
  const end = localDayStart(now, timeZone, 1);
  const isToday = sql`${workflowEvents.at} >= ${todayStart.toISOString()}::timestamptz`;
  const rows = await db
    .select({
      kind: workflowEvents.kind,
      today: sql<number>`count(*) filter (where ${isToday})`.mapWith(Number),
      week: sql<number>`count(*)`.mapWith(Number),
    })
    .from(workflowEvents)
    .where(
      and(
        inArray(workflowEvents.kind, [...COUNTED_KINDS]),
        gte(workflowEvents.at, last7DaysStart),
        lt(workflowEvents.at, end),
      ),
    )
    .groupBy(workflowEvents.kind);
  // The reason lives on the post; a skipped event without its post (none today) counts as "other".
  const skipRows = await db
    .select({
      reason: posts.skipReason,
      today: sql<number>`count(*) filter (where ${isToday})`.mapWith(Number),
      week: sql<number>`count(*)`.mapWith(Number),
    })
    .from(workflowEvents)
    .leftJoin(posts, eq(posts.tweetId, workflowEvents.postTweetId))
    .where(and(eq(workflowEvents.kind, "skipped"), gte(workflowEvents.at, last7DaysStart), lt(workflowEvents.at, end)))
    .groupBy(posts.skipReason);
  return {
    today: countsOf(rows.map((row) => ({ kind: row.kind, n: row.today }))),
    last7Days: countsOf(rows.map((row) => ({ kind: row.kind, n: row.week }))),
    skipped: skipCountsOf(skipRows),
    todayStart,
    last7DaysStart,
  };
}

/** Counts the workflow events in [from, to) — e.g. yesterday, for the daily digest. */
export async function countsBetween(db: Database, from: Date, to: Date): Promise<Counts> {
  const rows = await db
    .select({ kind: workflowEvents.kind, n: sql<number>`count(*)`.mapWith(Number) })
    .from(workflowEvents)
    .where(and(inArray(workflowEvents.kind, [...COUNTED_KINDS]), gte(workflowEvents.at, from), lt(workflowEvents.at, to)))
    .groupBy(workflowEvents.kind);
  return countsOf(rows);
}

/** The /stats read service: {@link workflowStats} on one database. */
export function createStatsView(db: Database) {
  return {
    /** Counts of today and the last 7 local days in `timeZone`, as of `now`. */
    read: (now: Date, timeZone: string): Promise<WorkflowStats> => workflowStats(db, now, timeZone),
  };
}

/** The /stats read service's interface. */
export type StatsView = ReturnType<typeof createStatsView>;
