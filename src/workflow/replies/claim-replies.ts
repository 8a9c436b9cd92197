import { randomUUID } from "node:crypto";
import { sql, type Placeholder, type SQL } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { fixedQuery, fixedRows, rowFromJson } from "../../db/raw-rows.js";
import { posts, replies, xAccounts, type ReplyStatus } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { PAUSED_SQL } from "../pause.js";
import { assertTransition } from "./transition.js";

/** The post a reply answers, as stored. */
export type Post = typeof posts.$inferSelect;

/** A reply held by one publish attempt of one account: every outcome is written against this attempt id. */
export interface Claim {
  readonly reply: Reply;
  readonly attemptId: string;
  /** The account the reply was assigned to by this claim. */
  readonly accountId: number;
  /** The post it answers (absent if it went missing). */
  readonly post?: Post;
  /**
   * The account's `next_post_at` before this claim, the one it reserved (see {@link ClaimRequest.holdUntil}) and
   * the gap that reservation stands for.
   */
  readonly hold?: { readonly previous: Date | null; readonly until: Date; readonly gapMs: number };
}

/** The only account that may publish the reply, or null when any may (see {@link claimReplies}'s filter). */
export function requiredAccount(reply: Pick<Reply, "boundAccountId" | "needsReconcile" | "accountId">): number | null {
  return reply.boundAccountId ?? (reply.needsReconcile ? reply.accountId : null);
}

/** What one claim asks for. */
export interface ClaimRequest {
  readonly accountId: number;
  readonly now: Date;
  readonly leaseSeconds: number;
  /** At most this many replies (default 1): more only when no gap has to separate the account's posts. */
  readonly batch?: number;
  /** The account claims nothing more before this instant (the random gap between posts); default `now`. */
  readonly holdUntil?: Date;
  /** The hourly and daily limits of an account whose row sets none; default none. */
  readonly limits?: { readonly perHour: number; readonly perDay: number };
  /**
   * A fresh random UUID naming this claim (default: one made here): each attempt id it records is
   * {@link claimAttemptId}, so a caller whose claim failed without an answer can find what it took.
   */
  readonly token?: string;
}

/** The attempt id a claim named `token` gives reply `replyId` (SQL over a reply's id column): md5 of both, as a UUID. */
export function claimAttemptId(token: string | Placeholder, replyId: SQL): SQL {
  return sql`md5(${token}::text || ${replyId}::text)::uuid`;
}

/** The account's X identity as stored (null until users/me was read once). */
export interface StoredIdentity {
  readonly userId: string | null;
  readonly username: string | null;
}

/**
 * What a claim got: replies; `none` due for the account; `locked` (due replies exist but each was locked by
 * another transaction: look again in a moment); `held` (it may not post now: inactive, rate limited, inside its gap,
 * or at its hourly or daily limit); `busy` (another claim for the account committed while this one waited for
 * its row: ask again); or `paused` (the bot is paused: nothing is claimed for any account).
 */
export type ClaimBatch =
  | { readonly kind: "claimed"; readonly claims: readonly Claim[]; readonly identity: StoredIdentity }
  | { readonly kind: "none" | "locked" | "held" | "busy" | "paused" };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Far above any limit: "no limit" without a second form of the statement. */
const NO_LIMIT = 2_147_483_647;

/**
 * The attempts `p` of account `a` started after `since` (an instant: see `instant`) that may have posted (in flight,
 * posted, ambiguous, reconciled): what the limits and the load count, read from a range of
 * `publish_attempts_account_started_idx`.
 */
export function postedSince(since: SQL): SQL {
  return sql`p.account_id = a.id and p.started_at > ${since}
    and coalesce(p.outcome, 'in_flight') in ('in_flight', 'posted', 'ambiguous', 'reconciled')`;
}

/**
 * How many more posts the account `a` may make under `limit` in the window since `since`: the count stops at the
 * limit (the LIMIT inside), so it reads at most that many entries of `publish_attempts_account_started_idx`
 * however long the history is. The ORDER BY is the index's, newest first: without it the plan a prepared claim
 * settles on (values unknown) scanned the whole table.
 */
function roomUnder(limit: SQL, since: SQL): SQL {
  return sql`${limit} - (select count(*) from (
      select 1 from publish_attempts p where ${postedSince(since)}
      order by p.started_at desc
      limit greatest(${limit}, 0)) recent)`;
}

/**
 * A status as a literal, not a parameter: the plan a prepared claim settles on (its generic plan) then knows which
 * rows it selects and reads them through the status indexes; with a parameter it scanned all of `replies`.
 */
function statusLiteral(status: ReplyStatus): SQL {
  return sql.raw(`'${status}'`);
}

/** The values of one claim (see {@link claimValues}); instants as ISO text. */
type ClaimValues = {
  readonly accountId: number;
  readonly now: string;
  readonly leaseUntil: string;
  readonly hourAgo: string;
  readonly dayAgo: string;
  readonly holdUntil: string;
  readonly batch: number;
  readonly perHour: number;
  readonly perDay: number;
  readonly token: string;
};

/** What one claim puts into {@link claimSql}. */
function claimValues(request: ClaimRequest): ClaimValues {
  const at = request.now.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    accountId: request.accountId,
    now: iso(at),
    leaseUntil: iso(at + request.leaseSeconds * 1000),
    hourAgo: iso(at - HOUR_MS),
    dayAgo: iso(at - DAY_MS),
    holdUntil: (request.holdUntil ?? request.now).toISOString(),
    batch: request.batch ?? 1,
    perHour: request.limits?.perHour ?? NO_LIMIT,
    perDay: request.limits?.perDay ?? NO_LIMIT,
    token: request.token ?? randomUUID(),
  };
}

/**
 * The claim as one statement: nothing while the bot is paused (read in the statement's own snapshot, so a claim never
 * needs a pause read of its own); the account's row is locked (claims for one account queue there, across replicas)
 * and checked (active, not rate limited, its gap over, room under its limits); up to `batch` due replies it may
 * publish (bound to it or free, not pinned to another account by an unknown outcome) are taken in claim order —
 * priority, approval time, id: the order of `replies_claim_order_idx`, so SKIP LOCKED walks the index instead of
 * sorting — moved approved → publishing with a lease and a fresh attempt id, their attempts recorded, and the
 * account's gap reserved. Each value is `value(key)`: a placeholder for {@link CLAIM}, the value itself for a plan.
 */
function claimSql(value: <K extends keyof ClaimValues>(key: K) => Placeholder | ClaimValues[K]): SQL {
  const accountId = sql`${value("accountId")}::int`;
  const now = sql`${value("now")}::timestamptz`;
  const perHour = sql`coalesce(a.max_posts_per_hour, ${value("perHour")}::int)`;
  const perDay = sql`coalesce(a.max_posts_per_day, ${value("perDay")}::int)`;
  const from = statusLiteral("approved");
  const to = statusLiteral("publishing");
  const claimable = sql`r.status = ${from} and r.scheduled_at <= ${now}
        and (r.bound_account_id is null or r.bound_account_id = ${accountId})
        and (not r.needs_reconcile or r.account_id = ${accountId})`;
  return sql`
    with snapshot as (
      select pacing_version from x_accounts where id = ${accountId}
    ), account as (
      select a.id, a.pacing_version, a.x_user_id, a.username, a.next_post_at,
        a.status = 'active'
          and (a.rate_limited_until is null or a.rate_limited_until <= ${now})
          and (a.next_post_at is null or a.next_post_at <= ${now}) as may_post,
        least(${value("batch")}::int, ${roomUnder(perHour, sql`${value("hourAgo")}::timestamptz`)},
          ${roomUnder(perDay, sql`${value("dayAgo")}::timestamptz`)}) as room
      from x_accounts a where a.id = ${accountId}
      for update
    ), verdict as (
      select case
          when ${PAUSED_SQL} then 'paused'
          when a.pacing_version <> s.pacing_version then 'busy'
          when not a.may_post or a.room <= 0 then 'held'
          else 'open' end as kind,
        a.room, a.x_user_id, a.username, a.next_post_at
      from account a cross join snapshot s
    ), due as (
      select r.id, r.version from replies r
      where ${claimable}
      order by r.status, r.priority, r.decided_at, r.id
      limit coalesce((select room from verdict where kind = 'open'), 0)
      for update skip locked
    ), claimed as (
      update replies r set status = ${to}, account_id = ${accountId}, lease_until = ${value("leaseUntil")}::timestamptz,
        attempt_id = ${claimAttemptId(value("token"), sql`r.id`)}, attempt_count = r.attempt_count + 1, version = r.version + 1, updated_at = now()
      -- Keyed to the version "due" locked (that select is the guard: approved, due, locked here), read by primary key. With the
      -- status repeated here, a generic plan walked every approved reply for each one taken (a backlog's cost squared).
      from due where r.id = due.id and r.version = due.version
      returning r.*
    ), attempts as (
      insert into publish_attempts (id, reply_id, account_id, started_at)
      select attempt_id, id, ${accountId}, ${now} from claimed
    ), paced as (
      update x_accounts set pacing_version = pacing_version + 1, next_post_at = ${value("holdUntil")}::timestamptz
      where id = ${accountId} and exists (select 1 from claimed)
    )
    select v.kind, v.x_user_id, v.username, v.next_post_at as previous_hold, to_jsonb(c) as reply, to_jsonb(p) as post,
      c.id is null and exists (select 1 from replies r where ${claimable}) as skipped
    from verdict v
      left join claimed c on true
      left join posts p on p.tweet_id = c.post_tweet_id`;
}

/** {@link claimSql} with every value a placeholder, turned into its text once: each claim only fills it in. */
const CLAIM = fixedQuery("claim_replies", claimSql((key) => sql.placeholder(key)));

/** The claim statement of `request` with its values in place (for a plan). */
export function claimStatement(request: ClaimRequest): SQL {
  const values = claimValues(request);
  return claimSql((key) => values[key]);
}

/**
 * Claims due replies for one account in one statement ({@link claimStatement}). A second worker skips locked
 * replies instead of waiting, so no reply is ever claimed twice; two claims for one account queue on its row,
 * so its gap and limits hold across replicas.
 */
export async function claimReplies(db: Database, request: ClaimRequest): Promise<ClaimBatch> {
  assertTransition("approved", "publishing");
  const rows = await fixedRows(db, CLAIM, claimValues(request));
  const [first] = rows;
  if (!first) return { kind: "held" };
  const kind = first.kind as "open" | "held" | "busy" | "paused";
  if (kind !== "open") return { kind };
  const until = request.holdUntil ?? request.now;
  const claims = rows.filter((row) => row.reply !== null).map((row): Claim => {
    const reply = rowFromJson(replies, row.reply as Record<string, unknown>);
    const previous = row.previous_hold === null ? null : (xAccounts.nextPostAt.mapFromDriverValue(row.previous_hold) as Date);
    return {
      reply,
      attemptId: reply.attemptId!,
      accountId: request.accountId,
      ...(row.post !== null ? { post: rowFromJson(posts, row.post as Record<string, unknown>) } : {}),
      hold: { previous, until, gapMs: until.getTime() - request.now.getTime() },
    };
  });
  // None taken although some is due: all of it was locked (another claim in flight, or a short write such as a card
  // redraw's); told apart from "none" so the publisher looks again in a moment instead of at its next poll.
  if (claims.length === 0) return { kind: first.skipped === true ? "locked" : "none" };
  // RETURNING keeps no order: a batch is published in claim order (sorting here keeps the statement's plan sort-free).
  claims.sort(
    (a, b) =>
      a.reply.priority - b.reply.priority ||
      (a.reply.decidedAt?.getTime() ?? 0) - (b.reply.decidedAt?.getTime() ?? 0) ||
      a.reply.id - b.reply.id,
  );
  return { kind: "claimed", claims, identity: { userId: first.x_user_id as string | null, username: first.username as string | null } };
}
