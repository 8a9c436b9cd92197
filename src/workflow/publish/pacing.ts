import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { instant } from "../../db/raw-rows.js";
import { xAccounts } from "../../db/schema.js";
import type { XAccountRow } from "../accounts.js";
import { postedSince, type Claim, type ClaimRequest } from "../replies/claim-replies.js";
import type { RuntimeSettings } from "../settings.js";

const HOUR_MS = 3_600_000;

/** Replies one claim takes at most when no gap separates the account's posts. */
export const CLAIM_BATCH = 25;

/** How many attempts of account `a` started after `since` may have posted (see postedSince). */
const recentPosts = (since: Date) => sql<number>`(select count(*) from publish_attempts p where ${postedSince(instant(since))})`.mapWith(Number);

/**
 * Every account's load as `least_loaded` sees it (attempts that may have posted in the last hour, in-flight
 * claims included), by account id; accounts without any are absent.
 */
export async function accountLoads(db: Database, now: Date): Promise<Map<number, number>> {
  const rows = await db
    .select({ accountId: sql<number>`a.id`.mapWith(Number), n: recentPosts(new Date(now.getTime() - HOUR_MS)) })
    .from(sql`x_accounts a`);
  return new Map(rows.filter((row) => row.n > 0).map((row) => [row.accountId, row.n]));
}

/** Attempts of `accountId` started after `since` that may have posted (in flight, posted, ambiguous, reconciled). */
export async function postsSince(db: Database, accountId: number, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: recentPosts(since) })
    .from(sql`x_accounts a`)
    .where(sql`a.id = ${accountId}`);
  return row?.n ?? 0;
}

/** What pacing needs. */
export interface PacingDeps {
  readonly db: Database;
  readonly now: () => Date;
  readonly random: () => number;
  /** False while the account's X circuit breaker is open. */
  readonly isAccountAvailable?: (accountId: number) => boolean;
}

/**
 * Per-account pacing. The claim itself checks and reserves it under the account's row lock (active, no
 * rate-limit wait, its gap over, room under its hourly and daily limits — its own when set, else the settings'),
 * so it holds across replicas; this module says what to ask for, moves the gap to after the POST once one went
 * out, and gives the reservation back when none did.
 */
export function createPacing(deps: PacingDeps) {
  const { db, now } = deps;

  /** Whether the account is in the pool at all: its breaker closed and its session usable. */
  function isUp(row: XAccountRow): boolean {
    if (deps.isAccountAvailable && !deps.isAccountAvailable(row.id)) return false;
    return row.status === "active";
  }

  return {
    isUp,

    /** Whether the account looks free to post as of `row` (read at the start of a run; the claim checks again). */
    looksReady(row: XAccountRow): boolean {
      const current = now();
      if (!isUp(row)) return false;
      if (row.rateLimitedUntil && row.rateLimitedUntil > current) return false;
      return !(row.nextPostAt && row.nextPostAt > current);
    },

    /**
     * What to claim for the account: one reply and its random gap, or a batch when no gap separates its posts and
     * it is the only account ready (with several, one reply per claim keeps the strategy's turns).
     */
    request(accountId: number, settings: RuntimeSettings, claim: { readonly leaseSeconds: number; readonly alone: boolean }): ClaimRequest {
      const current = now();
      const { min, max } = settings.gapSeconds;
      const gapMs = Math.round((min + deps.random() * (max - min)) * 1000);
      return {
        accountId,
        now: current,
        leaseSeconds: claim.leaseSeconds,
        batch: max <= 0 && claim.alone ? CLAIM_BATCH : 1,
        holdUntil: new Date(current.getTime() + gapMs),
        limits: { perHour: settings.maxPostsPerHour, perDay: settings.maxPostsPerDay },
      };
    },

    /**
     * A POST went out (whatever its outcome): the gap runs from now, not from the claim, so a slow upload or
     * check cannot bring two posts closer than the gap.
     */
    async afterPost(claim: Claim): Promise<void> {
      const gapMs = claim.hold?.gapMs ?? 0;
      if (gapMs <= 0) return;
      await db
        .update(xAccounts)
        .set({ nextPostAt: sql`greatest(${xAccounts.nextPostAt}, ${instant(new Date(now().getTime() + gapMs))})` })
        .where(eq(xAccounts.id, claim.accountId));
    },

    /** Nothing was posted: the claim's reservation is given back, unless a later claim reserved the account since. */
    async unused(claim: Claim): Promise<void> {
      const hold = claim.hold;
      if (!hold || hold.gapMs <= 0) return;
      await db
        .update(xAccounts)
        .set({ nextPostAt: hold.previous })
        .where(and(eq(xAccounts.id, claim.accountId), eq(xAccounts.nextPostAt, hold.until)));
    },
  };
}

/** An account's pacing. */
export type Pacing = ReturnType<typeof createPacing>;
