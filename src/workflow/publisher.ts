import { randomUUID } from "node:crypto";
import { and, asc, count, eq, gt, lte, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { posts, publishAttempts, replies } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { isXApiError, type XApiError } from "../x/errors.js";
import { findExistingReply } from "../x/reconcile.js";
import type { XAccount, XAccountRow, XAccounts } from "./accounts.js";
import type { ReplyPolicy } from "./discovery.js";
import type { PauseSwitch } from "./pause.js";
import type { Reply } from "./reply-states.js";
import type { RuntimeSettings, SettingsStore } from "./settings.js";
import { recordEvent } from "./stats.js";

/** What the publisher needs. */
export interface PublisherDeps {
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly pause: PauseSwitch;
  readonly settings: SettingsStore;
  readonly logger: Logger;
  readonly leaseSeconds: number;
  readonly replyPolicy: () => ReplyPolicy;
  /** Called after any reply changed, to bring its card up to date. */
  readonly onChange: () => Promise<unknown>;
  readonly maxAttempts?: number;
  readonly now?: () => Date;
  readonly random?: () => number;
}

/** Counts of one publisher run. */
export interface PublishRunResult {
  published: number;
  failed: number;
  retrying: number;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 15 * 60_000;
const DEFAULT_RATE_LIMIT_WAIT_MS = 15 * 60_000;
const MIN_RATE_LIMIT_WAIT_MS = 60_000;

/** Delay before retrying a publish after its n-th failed attempt: doubling from 30 s, capped at 15 min. */
export function publishRetryDelayMs(attempt: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1), RETRY_MAX_MS);
}

/**
 * Publishes approved replies that are due, exactly once. A reply is claimed (status `publishing`,
 * a lease, a fresh attempt id recorded in `publish_attempts`) before X is called; every outcome is
 * written with a conditional UPDATE on that attempt id, so a worker whose lease was taken over
 * cannot overwrite a newer attempt. When an outcome is unknown (timeout, dropped connection, crash
 * while holding a claim, 403 duplicate content), the reply is flagged `needs_reconcile`, and the
 * next attempt first reads the account's own posts for a reply to that post: found → published with
 * that id, not found → posted again. This is what makes "never twice" hold.
 */
export function createPublisher(deps: PublisherDeps) {
  const { db, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;

  /** Returns claims whose lease ran out (their holder died) to `approved`, to be reconciled first. */
  async function releaseExpiredLeases(all: boolean): Promise<number> {
    const released = await db
      .update(replies)
      .set({
        status: "approved",
        needsReconcile: true,
        leaseUntil: null,
        version: sql`${replies.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(replies.status, "publishing"), all ? undefined : lte(replies.leaseUntil, now())))
      .returning({ id: replies.id });
    if (released.length > 0) logger.warn({ count: released.length }, "publish claims released for reconciliation");
    return released.length;
  }

  async function postsInWindow(accountId: number, windowMs: number): Promise<number> {
    const since = new Date(now().getTime() - windowMs);
    const [row] = await db
      .select({ n: count() })
      .from(publishAttempts)
      .where(
        and(
          eq(publishAttempts.accountId, accountId),
          gt(publishAttempts.startedAt, since),
          sql`coalesce(${publishAttempts.outcome}, 'in_flight') in ('in_flight', 'posted', 'ambiguous', 'reconciled')`,
        ),
      );
    return row?.n ?? 0;
  }

  /** Whether the account may post now: session ok, not rate limited, pause over, under its limits. */
  async function mayPost(row: XAccountRow, settings: RuntimeSettings): Promise<boolean> {
    const current = now();
    if (row.sessionState !== "ok") return false;
    if (row.rateLimitedUntil && row.rateLimitedUntil > current) return false;
    if (row.nextPostAt && row.nextPostAt > current) return false;
    if ((await postsInWindow(row.id, 3_600_000)) >= settings.maxPostsPerHour) return false;
    return (await postsInWindow(row.id, 86_400_000)) < settings.maxPostsPerDay;
  }

  /** Claims the account's oldest due reply (FOR UPDATE SKIP LOCKED) and records the attempt. */
  async function claim(accountId: number): Promise<{ reply: Reply; attemptId: string } | undefined> {
    return db.transaction(async (tx) => {
      const [due] = await tx
        .select({ id: replies.id })
        .from(replies)
        .where(and(eq(replies.status, "approved"), lte(replies.scheduledAt, now()), eq(replies.accountId, accountId)))
        .orderBy(asc(replies.status), asc(replies.scheduledAt), asc(replies.id))
        .limit(1)
        .for("update", { skipLocked: true });
      if (!due) return undefined;
      const attemptId = randomUUID();
      const [reply] = await tx
        .update(replies)
        .set({
          status: "publishing",
          leaseUntil: new Date(now().getTime() + deps.leaseSeconds * 1000),
          attemptId,
          attemptCount: sql`${replies.attemptCount} + 1`,
          version: sql`${replies.version} + 1`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(replies.id, due.id), eq(replies.status, "approved")))
        .returning();
      if (!reply) return undefined;
      await tx.insert(publishAttempts).values({ id: attemptId, replyId: reply.id, accountId, startedAt: now() });
      return { reply, attemptId };
    });
  }

  /** Writes an outcome only if this attempt still holds the claim. */
  async function finish(
    reply: Reply,
    attemptId: string,
    outcome: { status: "published" | "approved" | "failed"; patch: Partial<typeof replies.$inferInsert>; attempt: string; tweetId?: string; error?: string },
  ): Promise<boolean> {
    const [row] = await db
      .update(replies)
      .set({ ...outcome.patch, status: outcome.status, leaseUntil: null, version: sql`${replies.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(replies.id, reply.id), eq(replies.status, "publishing"), eq(replies.attemptId, attemptId)))
      .returning({ id: replies.id });
    await db
      .update(publishAttempts)
      .set({ outcome: outcome.attempt, finishedAt: now(), tweetId: outcome.tweetId ?? null, error: outcome.error ?? null })
      .where(eq(publishAttempts.id, attemptId));
    if (!row) {
      logger.warn({ replyId: reply.id, attemptId }, "publish outcome arrived after the claim was lost; ignored");
      return false;
    }
    if (outcome.status === "published") await recordEvent(db, { kind: "published", replyId: reply.id });
    if (outcome.status === "failed") await recordEvent(db, { kind: "failed", replyId: reply.id });
    return true;
  }

  const published = (reply: Reply, attemptId: string, tweetId: string, how: "posted" | "reconciled") =>
    finish(reply, attemptId, {
      status: "published",
      patch: { replyTweetId: tweetId, publishedAt: now(), needsReconcile: false, failureReason: null },
      attempt: how,
      tweetId,
    });

  const failed = (reply: Reply, attemptId: string, reason: string) =>
    finish(reply, attemptId, { status: "failed", patch: { failureReason: reason.slice(0, 300) }, attempt: "failed", error: reason });

  const retryLater = (reply: Reply, attemptId: string, error: string, opts: { ambiguous: boolean; at?: Date }) =>
    finish(reply, attemptId, {
      status: "approved",
      patch: {
        needsReconcile: opts.ambiguous || reply.needsReconcile,
        scheduledAt: opts.at ?? new Date(now().getTime() + publishRetryDelayMs(reply.attemptCount)),
        failureReason: error.slice(0, 300),
      },
      attempt: opts.ambiguous ? "ambiguous" : "retry",
      error,
    });

  async function holdAccount(account: XAccount, settings: RuntimeSettings): Promise<void> {
    const { min, max } = settings.gapSeconds;
    const gapMs = Math.round((min + random() * (max - min)) * 1000);
    await deps.accounts.setNextPostAt(account.id, new Date(now().getTime() + gapMs));
  }

  async function handleFailure(account: XAccount, reply: Reply, attemptId: string, postId: string, error: XApiError, userId: string) {
    if (error.reason === "duplicate_content") {
      // X says we posted this text already: most likely our own earlier attempt went through.
      let existing: Awaited<ReturnType<typeof findExistingReply>>;
      try {
        existing = await findExistingReply(account.client, userId, postId, { text: reply.draft });
      } catch (readError) {
        // Could not look: release the claim now (not at lease expiry) and look first next time.
        const message = readError instanceof Error ? readError.message : String(readError);
        return retryLater(reply, attemptId, `X refused it as duplicate content, and checking X failed: ${message}`, { ambiguous: true });
      }
      if (existing) return published(reply, attemptId, existing.id, "reconciled");
      return failed(reply, attemptId, "X refused it as duplicate content, and no reply of ours to that post exists");
    }
    if (error.kind === "rate_limited") {
      // A reset already past by our clock (skew) would re-claim at once: wait a minute at least.
      const floor = now().getTime() + MIN_RATE_LIMIT_WAIT_MS;
      const until = new Date(Math.max(error.resetAt?.getTime() ?? now().getTime() + DEFAULT_RATE_LIMIT_WAIT_MS, floor));
      await deps.accounts.rateLimitUntil(account.id, until);
      return retryLater(reply, attemptId, error.message, { ambiguous: false, at: until });
    }
    if (error.kind === "permanent") {
      if (error.reason === "unauthorized") await deps.accounts.setSessionState(account.id, "needs_attention");
      return failed(reply, attemptId, error.message);
    }
    if (reply.attemptCount >= maxAttempts && !error.mayHaveSucceeded) {
      return failed(reply, attemptId, `gave up after ${reply.attemptCount} attempts: ${error.message}`);
    }
    return retryLater(reply, attemptId, error.message, { ambiguous: error.mayHaveSucceeded });
  }

  async function publishClaimed(account: XAccount, reply: Reply, attemptId: string, settings: RuntimeSettings): Promise<void> {
    const [post] = await db.select().from(posts).where(eq(posts.tweetId, reply.postTweetId));
    if (!post) {
      await failed(reply, attemptId, "the post this reply answers is missing");
      return;
    }
    if (deps.replyPolicy() === "summoned" && !post.answerable) {
      await failed(reply, attemptId, "not answerable: the author did not mention or quote this account (REPLY_POLICY=summoned)");
      return;
    }
    let userId: string;
    try {
      userId = (await deps.accounts.identity(account)).userId;
      if (reply.needsReconcile) {
        const existing = await findExistingReply(account.client, userId, post.tweetId, { text: reply.draft });
        if (existing) {
          await published(reply, attemptId, existing.id, "reconciled");
          return;
        }
      }
    } catch (error) {
      // Nothing was posted: reading X failed. A permanent refusal (401: credentials rejected) fails
      // the reply and, for a 401, holds the account, as it would on the POST.
      if (isXApiError(error) && error.kind === "permanent") {
        if (error.reason === "unauthorized") await deps.accounts.setSessionState(account.id, "needs_attention");
        await failed(reply, attemptId, `could not check X before posting: ${error.message}`);
        return;
      }
      // Otherwise keep the reconcile flag and try again later.
      const message = error instanceof Error ? error.message : String(error);
      await retryLater(reply, attemptId, `could not check X before posting: ${message}`, { ambiguous: false });
      return;
    }
    try {
      const result = await account.client.postReply(reply.draft, post.tweetId);
      await published(reply, attemptId, result.id, "posted");
    } catch (error) {
      if (isXApiError(error)) {
        await handleFailure(account, reply, attemptId, post.tweetId, error, userId);
      } else {
        // An unexpected error after the call started: the outcome is unknown, so reconcile first.
        await retryLater(reply, attemptId, String(error), { ambiguous: true });
      }
    } finally {
      await holdAccount(account, settings);
    }
  }

  return {
    /**
     * Boot recovery: with an exclusive database (PGlite, one process) every claim left in
     * `publishing` belongs to a dead process; with a shared server only expired leases do.
     */
    recoverClaims(exclusive: boolean): Promise<number> {
      return releaseExpiredLeases(exclusive);
    },

    /** One pass: release dead claims, then publish due replies account by account, within limits. */
    async runOnce(): Promise<PublishRunResult> {
      const result: PublishRunResult = { published: 0, failed: 0, retrying: 0 };
      if (await deps.pause.isPaused()) return result;
      let changed = (await releaseExpiredLeases(false)) > 0;
      const settings = await deps.settings.current();
      for (const row of await deps.accounts.rows()) {
        const account = deps.accounts.get(row.id);
        if (!account) continue;
        let current: XAccountRow | undefined = row;
        while (current && (await mayPost(current, settings))) {
          const claimed = await claim(account.id);
          if (!claimed) break;
          changed = true;
          await publishClaimed(account, claimed.reply, claimed.attemptId, settings);
          const [after] = await db.select({ status: replies.status }).from(replies).where(eq(replies.id, claimed.reply.id));
          if (after?.status === "published") result.published++;
          else if (after?.status === "failed") result.failed++;
          else result.retrying++;
          current = (await deps.accounts.rows()).find((r) => r.id === account.id);
        }
      }
      if (changed) await deps.onChange();
      return result;
    },
  };
}

/** The publisher's interface. */
export type Publisher = ReturnType<typeof createPublisher>;
