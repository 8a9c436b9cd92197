import { and, count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { publishAttempts } from "../../db/schema.js";
import type { XAccountRow, XAccounts } from "../accounts.js";
import type { RuntimeSettings } from "../settings.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Attempts that may have posted (in flight, posted, ambiguous, reconciled): what the limits and the load count. */
const mayHavePosted = () =>
  sql`coalesce(${publishAttempts.outcome}, 'in_flight') in ('in_flight', 'posted', 'ambiguous', 'reconciled')`;

/**
 * Every account's load as `least_loaded` sees it (attempts that may have posted in the last hour, in-flight
 * claims included), by account id; accounts without any are absent.
 */
export async function accountLoads(db: Database, now: Date): Promise<Map<number, number>> {
  const rows = await db
    .select({ accountId: publishAttempts.accountId, n: count() })
    .from(publishAttempts)
    .where(and(gt(publishAttempts.startedAt, new Date(now.getTime() - HOUR_MS)), mayHavePosted()))
    .groupBy(publishAttempts.accountId);
  return new Map(rows.map((row) => [row.accountId, row.n]));
}

/** Attempts of `accountId` started after `since` that may have posted (in flight, posted, ambiguous, reconciled). */
export async function postsSince(db: Database, accountId: number, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(publishAttempts)
    .where(and(eq(publishAttempts.accountId, accountId), gt(publishAttempts.startedAt, since), mayHavePosted()));
  return row?.n ?? 0;
}

/** What pacing needs. */
export interface PacingDeps {
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly now: () => Date;
  readonly random: () => number;
  /** False while the account's X circuit breaker is open. */
  readonly isAccountAvailable?: (accountId: number) => boolean;
}

/**
 * Per-account pacing: whether an account may post now (breaker closed, status active, no rate-limit
 * wait, its gap over, under its hourly and daily limits: its own when set, else the settings'), and
 * the random gap after each post.
 */
export function createPacing(deps: PacingDeps) {
  const { db, now } = deps;

  /** Attempts that may have posted in the last `windowMs`. */
  function postsInWindow(accountId: number, windowMs: number): Promise<number> {
    return postsSince(db, accountId, new Date(now().getTime() - windowMs));
  }

  /** Whether the account is in the pool at all: its breaker closed and its session usable. */
  function isUp(row: XAccountRow): boolean {
    if (deps.isAccountAvailable && !deps.isAccountAvailable(row.id)) return false;
    if (row.status !== "active") return false;
    return true;
  }

  return {
    isUp,

    /** Whether the account may post now. */
    async mayPost(row: XAccountRow, settings: RuntimeSettings): Promise<boolean> {
      const current = now();
      if (!isUp(row)) return false;
      if (row.rateLimitedUntil && row.rateLimitedUntil > current) return false;
      if (row.nextPostAt && row.nextPostAt > current) return false;
      if ((await postsInWindow(row.id, HOUR_MS)) >= (row.maxPostsPerHour ?? settings.maxPostsPerHour)) return false;
      return (await postsInWindow(row.id, DAY_MS)) < (row.maxPostsPerDay ?? settings.maxPostsPerDay);
    },

    /**
     * The account's load for `least_loaded`: its posts in the last hour plus the work it holds claimed
     * (an in-flight attempt is counted with the posts, as it may post).
     */
    load(accountId: number): Promise<number> {
      return postsInWindow(accountId, HOUR_MS);
    },

    /** Holds the account for a random gap within the settings' range after a POST (whatever its outcome). */
    async holdAccount(accountId: number, settings: RuntimeSettings): Promise<void> {
      const { min, max } = settings.gapSeconds;
      const gapMs = Math.round((min + deps.random() * (max - min)) * 1000);
      await deps.accounts.setNextPostAt(accountId, new Date(now().getTime() + gapMs));
    },
  };
}

/** An account's pacing. */
export type Pacing = ReturnType<typeof createPacing>;
