import { randomUUID } from "node:crypto";
import { and, asc, count, eq, gt, lte, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { posts, publishAttempts, replies } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { classifyFailure } from "../resilience/failure.js";
import { findExistingReply } from "../x/reconcile.js";
import type { XAccount, XAccountRow, XAccounts } from "./accounts.js";
import type { DeadLetter, DeadLetterRecorder } from "./dead-letters.js";
import type { ReplyPolicy } from "./discovery.js";
import type { PauseSwitch } from "./pause.js";
import type { NoticeSink } from "./notices.js";
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
  /**
   * The dead-letter queue: every reply moved to `failed` is recorded there (in the same
   * transaction), and a published reply settles its open entry. Optional for tests of the publisher alone.
   */
  readonly deadLetters?: DeadLetterRecorder;
  /** False while the account's X circuit breaker is open: none of its replies is claimed. */
  readonly isAccountAvailable?: (accountId: number) => boolean;
  /** Told about every reply that failed (the publication_failed alert). */
  readonly notify?: NoticeSink;
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

/** How a failed reply goes to the dead-letter queue. */
interface DeadLetterNote {
  /** The reason without "gave up after n attempts" (defaults to the reply's failure reason). */
  readonly error?: string;
  readonly errorType: string;
  readonly retryable: boolean;
}

/** After one reply: go on with the account, or claim nothing more for it in this run (breaker open, 401). */
type Next = "continue" | "stop_account";

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
 *
 * Failures are classified once (resilience/failure.ts): rate limited → the account waits for the
 * reset; maybe sent → retried with a reconcile; transient → retried with backoff until
 * `maxAttempts`, then `failed` and dead-lettered `pending` (retried later by the DLQ worker, which
 * always reconciles first); breaker open → nothing was sent: `failed`, dead-lettered `pending`, and
 * the account is left alone for the rest of the run; permanent → `failed` and dead-lettered
 * `exhausted` at once.
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
    if (deps.isAccountAvailable && !deps.isAccountAvailable(row.id)) return false;
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

  /**
   * Writes an outcome only if this attempt still holds the claim, with its event and its
   * dead-letter change in the same transaction.
   */
  async function finish(
    reply: Reply,
    attemptId: string,
    outcome: {
      status: "published" | "approved" | "failed";
      patch: Partial<typeof replies.$inferInsert>;
      attempt: string;
      tweetId?: string;
      error?: string;
      deadLetter?: DeadLetterNote;
    },
  ): Promise<boolean> {
    const written = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(replies)
        .set({ ...outcome.patch, status: outcome.status, leaseUntil: null, version: sql`${replies.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(replies.id, reply.id), eq(replies.status, "publishing"), eq(replies.attemptId, attemptId)))
        .returning({ id: replies.id });
      await tx
        .update(publishAttempts)
        .set({ outcome: outcome.attempt, finishedAt: now(), tweetId: outcome.tweetId ?? null, error: outcome.error ?? null })
        .where(eq(publishAttempts.id, attemptId));
      if (!row) return undefined;
      let entry: DeadLetter | undefined;
      if (outcome.status === "published") {
        await recordEvent(tx, { kind: "published", replyId: reply.id });
        await deps.deadLetters?.resolve(reply.id, tx);
      }
      if (outcome.status === "failed") {
        if (deps.deadLetters && outcome.deadLetter) {
          entry = await deps.deadLetters.record(
            {
              replyId: reply.id,
              accountId: reply.accountId,
              error: outcome.deadLetter.error ?? outcome.error ?? "unknown",
              errorType: outcome.deadLetter.errorType,
              retryable: outcome.deadLetter.retryable,
            },
            tx,
          );
        }
        // A failed DLQ retry is the same failed reply again: /stats counts it once.
        if (!entry || entry.retryCount === 0) await recordEvent(tx, { kind: "failed", replyId: reply.id });
      }
      return { entry };
    });
    if (!written) {
      logger.warn({ replyId: reply.id, attemptId }, "publish outcome arrived after the claim was lost; ignored");
      return false;
    }
    if (written.entry) deps.deadLetters?.afterCommit(written.entry);
    return true;
  }

  const published = (reply: Reply, attemptId: string, tweetId: string, how: "posted" | "reconciled") =>
    finish(reply, attemptId, {
      status: "published",
      patch: { replyTweetId: tweetId, publishedAt: now(), needsReconcile: false, failureReason: null },
      attempt: how,
      tweetId,
    });

  const failed = async (reply: Reply, attemptId: string, reason: string, deadLetter: DeadLetterNote) => {
    const applied = await finish(reply, attemptId, {
      status: "failed",
      patch: { failureReason: reason.slice(0, 300) },
      attempt: "failed",
      error: reason,
      deadLetter,
    });
    if (applied) deps.notify?.({ kind: "publication_failed", replyId: reply.id, reason, retryable: deadLetter.retryable });
    return applied;
  };

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

  /** X refused the POST as duplicate content: most likely our own earlier attempt went through. */
  async function handleDuplicate(account: XAccount, reply: Reply, attemptId: string, postId: string, userId: string): Promise<void> {
    let existing: Awaited<ReturnType<typeof findExistingReply>>;
    try {
      existing = await findExistingReply(account.client, userId, postId, { text: reply.draft });
    } catch (readError) {
      // Could not look: release the claim now (not at lease expiry) and look first next time.
      const message = classifyFailure(readError).message;
      await retryLater(reply, attemptId, `X refused it as duplicate content, and checking X failed: ${message}`, { ambiguous: true });
      return;
    }
    if (existing) {
      await published(reply, attemptId, existing.id, "reconciled");
      return;
    }
    await failed(reply, attemptId, "X refused it as duplicate content, and no reply of ours to that post exists", {
      errorType: "duplicate_content",
      retryable: false,
    });
  }

  /**
   * One failed call, classified once. `phase` says whether it was the reading before the POST
   * (identity, reconcile: nothing was sent) or the POST itself (a lost answer may hide a post).
   */
  async function handleFailure(
    account: XAccount,
    reply: Reply,
    attemptId: string,
    error: unknown,
    phase: "check" | "post",
  ): Promise<Next> {
    const failure = classifyFailure(error);
    const message = phase === "check" ? `could not check X before posting: ${failure.message}` : failure.message;
    if (failure.reason === "circuit_open") {
      // Refused before anything left this process: certainly not sent. Leave the account alone.
      await failed(reply, attemptId, `${message}; nothing was sent`, { errorType: "circuit_open", retryable: true });
      return "stop_account";
    }
    // Shut down mid-call, or an error nobody classified after the POST started: outcome unknown.
    if (failure.aborted || (phase === "post" && failure.reason === "unexpected")) {
      await retryLater(reply, attemptId, message, { ambiguous: phase === "post" });
      return "continue";
    }
    if (failure.kind === "rate_limited") {
      // A reset already past by our clock (skew) would re-claim at once: wait a minute at least.
      const floor = now().getTime() + MIN_RATE_LIMIT_WAIT_MS;
      const until = new Date(Math.max(failure.retryAt?.getTime() ?? now().getTime() + DEFAULT_RATE_LIMIT_WAIT_MS, floor));
      await deps.accounts.rateLimitUntil(account.id, until);
      await retryLater(reply, attemptId, message, { ambiguous: false, at: until });
      return "stop_account";
    }
    // A bug or an unknown error while reading is worth retrying, not a verdict on the reply.
    if (failure.kind === "permanent" && failure.reason !== "unexpected") {
      if (failure.reason === "unauthorized") await deps.accounts.setSessionState(account.id, "needs_attention");
      await failed(reply, attemptId, message, { errorType: failure.reason, retryable: false });
      return failure.reason === "unauthorized" ? "stop_account" : "continue";
    }
    const maybeSent = phase === "post" && failure.mayHaveSucceeded;
    if (reply.attemptCount >= maxAttempts && !maybeSent) {
      await failed(reply, attemptId, `gave up after ${reply.attemptCount} attempts: ${message}`, {
        error: message,
        errorType: failure.reason,
        retryable: true,
      });
      return "continue";
    }
    await retryLater(reply, attemptId, message, { ambiguous: maybeSent });
    return "continue";
  }

  async function publishClaimed(account: XAccount, reply: Reply, attemptId: string, settings: RuntimeSettings): Promise<Next> {
    const [post] = await db.select().from(posts).where(eq(posts.tweetId, reply.postTweetId));
    if (!post) {
      await failed(reply, attemptId, "the post this reply answers is missing", { errorType: "post_missing", retryable: false });
      return "continue";
    }
    if (deps.replyPolicy() === "summoned" && !post.answerable) {
      await failed(reply, attemptId, "not answerable: the author did not mention or quote this account (REPLY_POLICY=summoned)", {
        errorType: "not_answerable",
        retryable: false,
      });
      return "continue";
    }
    let userId: string;
    try {
      userId = (await deps.accounts.identity(account)).userId;
      if (reply.needsReconcile) {
        const existing = await findExistingReply(account.client, userId, post.tweetId, { text: reply.draft });
        if (existing) {
          await published(reply, attemptId, existing.id, "reconciled");
          return "continue";
        }
      }
    } catch (error) {
      // Nothing was posted: reading X failed. The reconcile flag stays for the next attempt.
      return handleFailure(account, reply, attemptId, error, "check");
    }
    try {
      const result = await account.client.postReply(reply.draft, post.tweetId);
      await published(reply, attemptId, result.id, "posted");
      return "continue";
    } catch (error) {
      if (classifyFailure(error).reason === "duplicate_content") {
        await handleDuplicate(account, reply, attemptId, post.tweetId, userId);
        return "continue";
      }
      return await handleFailure(account, reply, attemptId, error, "post");
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
          const next = await publishClaimed(account, claimed.reply, claimed.attemptId, settings);
          const [after] = await db.select({ status: replies.status }).from(replies).where(eq(replies.id, claimed.reply.id));
          if (after?.status === "published") result.published++;
          else if (after?.status === "failed") result.failed++;
          else result.retrying++;
          if (next === "stop_account") break;
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
