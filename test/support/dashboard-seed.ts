/**
 * Rows for the dashboard tests and its screenshot: open replies, dead letters, alerts (one with markup and a secret
 * in it) and workflow events spread over the last 24 local hours, with the figures the page must show for them.
 */
import type { Database } from "../../src/db/database.js";
import { alerts, deadLetters, posts, replies } from "../../src/db/schema.js";
import { recordEvent } from "../../src/workflow/stats.js";
import type { HourlyKind } from "../../src/workflow/stats-hourly.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Events per hour: `hoursAgo` full hours before the current local hour, `minute` minutes into that hour. */
const EVENTS: readonly { hoursAgo: number; minute: number; kind: HourlyKind | "approved"; n: number }[] = [
  { hoursAgo: 0, minute: 5, kind: "discovered", n: 4 },
  { hoursAgo: 0, minute: 5, kind: "drafted", n: 3 },
  { hoursAgo: 0, minute: 5, kind: "published", n: 2 },
  { hoursAgo: 1, minute: 5, kind: "discovered", n: 6 },
  { hoursAgo: 1, minute: 5, kind: "drafted", n: 5 },
  { hoursAgo: 1, minute: 5, kind: "published", n: 4 },
  // The last minute of the hour before: in that hour's bar, not the current one's.
  { hoursAgo: 1, minute: 59, kind: "published", n: 1 },
  { hoursAgo: 1, minute: 5, kind: "failed", n: 1 },
  { hoursAgo: 3, minute: 5, kind: "discovered", n: 2 },
  { hoursAgo: 3, minute: 5, kind: "drafted", n: 2 },
  { hoursAgo: 3, minute: 5, kind: "failed", n: 2 },
  { hoursAgo: 7, minute: 30, kind: "published", n: 3 },
  { hoursAgo: 20, minute: 10, kind: "discovered", n: 9 },
  { hoursAgo: 20, minute: 10, kind: "drafted", n: 7 },
  { hoursAgo: 20, minute: 10, kind: "published", n: 5 },
  // Not charted: another kind, and an hour before the 24 shown.
  { hoursAgo: 2, minute: 5, kind: "approved", n: 5 },
  { hoursAgo: 25, minute: 5, kind: "discovered", n: 50 },
];

/** What the seed puts on the page. */
export interface DashboardSeed {
  readonly queues: { readonly awaiting_approval: number; readonly approved: number; readonly publishing: number };
  readonly deadLetters: { readonly pending: number; readonly retrying: number; readonly exhausted: number; readonly retried_successfully: number; readonly discarded: number };
  /** Per charted kind, the 24 hourly counts, oldest first (the current hour last). */
  readonly hourly: Readonly<Record<HourlyKind, readonly number[]>>;
  /** Text of the alert that carries markup (shown escaped). */
  readonly markupAlert: string;
}

const OPEN = { awaiting_approval: 3, approved: 2, publishing: 1 } as const;

/**
 * Seeds the rows; `hourStart` is the first instant of the current local hour, `secret` is put into an alert's
 * message (the page must mask it), `accountId` is the account the posts were found by.
 */
export async function seedDashboard(db: Database, options: { accountId: number; hourStart: Date; secret: string }): Promise<DashboardSeed> {
  const { accountId, hourStart } = options;
  const statuses = [
    ...Object.entries(OPEN).flatMap(([status, n]) => Array.from({ length: n }, () => status)),
    "published",
    "failed",
    "failed",
    "failed",
  ] as const;
  const replyIds: number[] = [];
  for (const [i, status] of statuses.entries()) {
    const tweetId = `77${i}`;
    await db.insert(posts).values({
      tweetId,
      authorId: "900002",
      authorUsername: "alice",
      text: `question ${i}`,
      source: "mention",
      sourceDetail: "mentions:1",
      accountId,
      answerable: true,
      state: "drafted",
    });
    const [row] = await db
      .insert(replies)
      .values({
        postTweetId: tweetId,
        status: status as (typeof replies.$inferInsert)["status"],
        draft: `answer ${i}`,
        weightedLength: 8,
        expiresAt: new Date(Date.now() + 24 * HOUR),
      })
      .returning({ id: replies.id });
    replyIds.push(row!.id);
  }
  const failed = replyIds.slice(-3);
  const letter = { accountId, error: "X answered 503", errorType: "server_error", retryable: true } as const;
  await db.insert(deadLetters).values([
    { ...letter, replyId: failed[0]!, status: "pending", retryCount: 1, nextRetryAt: new Date(Date.now() + 24 * HOUR) },
    { ...letter, replyId: failed[1]!, status: "exhausted", retryable: false },
    { ...letter, replyId: failed[2]!, status: "retried_successfully" },
  ]);

  const markupAlert = `Publishing failed for <script>alert("x")</script> & friends`;
  // On the real clock: the app's alert job prunes delivered alerts older than its retention.
  const occurredAt = new Date(Date.now() - 10 * MINUTE);
  await db.insert(alerts).values([
    { type: "publish_failed", level: "error", message: markupAlert, occurredAt, nextAttemptAt: occurredAt },
    { type: "session_failed", level: "critical", message: `token ${options.secret} leaked into an error`, occurredAt, nextAttemptAt: occurredAt },
  ]);

  const hourly: Record<HourlyKind, number[]> = {
    discovered: Array<number>(24).fill(0),
    drafted: Array<number>(24).fill(0),
    published: Array<number>(24).fill(0),
    failed: Array<number>(24).fill(0),
  };
  for (const event of EVENTS) {
    const at = new Date(hourStart.getTime() - event.hoursAgo * HOUR + event.minute * MINUTE);
    for (let i = 0; i < event.n; i++) await recordEvent(db, { kind: event.kind, at });
    if (event.kind !== "approved" && event.hoursAgo < 24) hourly[event.kind][23 - event.hoursAgo]! += event.n;
  }
  return {
    queues: OPEN,
    deadLetters: { pending: 1, retrying: 0, exhausted: 1, retried_successfully: 1, discarded: 0 },
    hourly,
    markupAlert,
  };
}
