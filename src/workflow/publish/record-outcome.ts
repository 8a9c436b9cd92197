import type { Database } from "../../db/database.js";
import type { Logger } from "../../logger.js";
import type { DeadLetter, DeadLetterRecorder } from "../dead-letters.js";
import type { NoticeSink } from "../notices.js";
import type { Claim } from "../replies/claim-replies.js";
import { eq } from "drizzle-orm";
import { posts } from "../../db/schema.js";
import { discardDeadLetters } from "../dead-letters/cancel.js";
import { cancelClaimedReply } from "../replies/cancel-claimed-reply.js";
import { returnForReview } from "../replies/return-for-review.js";
import { failReply } from "../replies/fail-reply.js";
import { retryReply } from "../replies/retry-reply.js";
import { recordEvent } from "../stats.js";
import { createCompletionQueue, type CompletionRetries } from "./completion-queue.js";
import { publishRetryDelayMs, type DeadLetterNote } from "./decide-outcome.js";

/** What writing an outcome needs. */
export interface OutcomeRecorderDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly retryBaseMs: number;
  readonly deadLetters?: DeadLetterRecorder;
  readonly notify?: NoticeSink;
  /** How long a completion waits for others to join its group at most (default COMPLETION_LINGER_MS). */
  readonly completionLingerMs?: number;
  /** How a completion's failed statement is tried again (default COMPLETION_RETRIES). */
  readonly completionRetries?: CompletionRetries;
}

/**
 * Writes a claimed reply's outcome together with what goes with it, atomically (one statement on the hot path,
 * a transaction elsewhere): its `published` or `failed` event, and its dead-letter change (a publish settles the
 * open entry, a failure records one). Each resolves false when the attempt had lost its claim (nothing written).
 */
export function createOutcomeRecorder(deps: OutcomeRecorderDeps) {
  const { db, logger, now } = deps;
  const completions = createCompletionQueue(db, deps.completionLingerMs, deps.completionRetries);

  function lost(claim: Claim): false {
    logger.warn({ trace: claim.reply.postTweetId, replyId: claim.reply.id, attemptId: claim.attemptId }, "publish outcome arrived after the claim was lost; ignored");
    return false;
  }

  return {
    /** Writes the completions waiting for their group now (a lane's batch has ended: nothing more joins them). */
    flushCompletions(): void {
      completions.flush();
    },

    /**
     * The reply is on X: posted now, or found there by a reconcile (one statement shared with the completions that
     * join its group: see the completion queue).
     */
    async published(claim: Claim, tweetId: string, how: "posted" | "reconciled"): Promise<boolean> {
      const done = await completions.complete({ claim, tweetId, how, at: now() });
      if (!done.completed) return lost(claim);
      const log = logger.child({ trace: claim.reply.postTweetId });
      log.info({ replyId: claim.reply.id, tweetId, how, accountId: claim.accountId }, "reply published");
      if (done.deadLettersSettled > 0) log.info({ replyId: claim.reply.id }, "dead-lettered reply published on retry");
      return true;
    },

    /** Failed: dead-lettered as `deadLetter` says, counted once in /stats, reported to `notify`. */
    async failed(claim: Claim, reason: string, deadLetter: DeadLetterNote): Promise<boolean> {
      const { reply } = claim;
      const written = await db.transaction(async (tx) => {
        if (!(await failReply(tx, claim, { reason, now: now() }))) return undefined;
        let entry: DeadLetter | undefined;
        if (deps.deadLetters) {
          entry = await deps.deadLetters.record(
            {
              replyId: reply.id,
              accountId: claim.accountId,
              error: deadLetter.error ?? reason,
              errorType: deadLetter.errorType,
              retryable: deadLetter.retryable,
            },
            tx,
          );
        }
        // A failed DLQ retry is the same failed reply again: /stats counts it once.
        if (!entry || entry.retryCount === 0) await recordEvent(tx, { kind: "failed", replyId: reply.id });
        return { entry };
      });
      if (!written) return lost(claim);
      if (written.entry) deps.deadLetters?.afterCommit(written.entry);
      logger.warn({ trace: reply.postTweetId, replyId: reply.id, reason, retryable: deadLetter.retryable }, "reply publish failed");
      deps.notify?.({ kind: "publication_failed", replyId: reply.id, reason, retryable: deadLetter.retryable });
      return true;
    },

    /** Cancelled before its POST (the author opted out); its dead letter, if any, is closed. */
    async cancelled(claim: Claim, reason: string): Promise<boolean> {
      const current = now();
      const written = await db.transaction(async (tx) => {
        if (!(await cancelClaimedReply(tx, claim, { reason, now: current }))) return false;
        await discardDeadLetters(tx, [claim.reply.id], current);
        return true;
      });
      if (written) logger.info({ trace: claim.reply.postTweetId, replyId: claim.reply.id, reason }, "reply cancelled before posting");
      return written || lost(claim);
    },

    /**
     * The post was edited on X after the draft: its new text is stored (the card shows it) and the
     * reply goes back to awaiting approval; its dead letter, if any, is closed.
     */
    async postEdited(claim: Claim, edit: { readonly newText: string; readonly reason: string }): Promise<boolean> {
      const current = now();
      const written = await db.transaction(async (tx) => {
        if (!(await returnForReview(tx, claim, { reason: edit.reason, now: current }))) return false;
        await tx.update(posts).set({ text: edit.newText }).where(eq(posts.tweetId, claim.reply.postTweetId));
        await discardDeadLetters(tx, [claim.reply.id], current);
        return true;
      });
      if (written) logger.info({ trace: claim.reply.postTweetId, replyId: claim.reply.id }, "post edited on X; reply back for review");
      return written || lost(claim);
    },

    /**
     * Back to approved: due at `at` (default: the backoff after this attempt), reconciled first when
     * `ambiguous`. `uncounted`: the account, not the reply, was the problem (nothing reached X), so
     * the attempt does not count towards the reply's retries.
     */
    async retryLater(
      claim: Claim,
      error: string,
      opts: { readonly ambiguous: boolean; readonly at?: Date; readonly uncounted?: boolean },
    ): Promise<boolean> {
      const current = now();
      const at = opts.at ?? new Date(current.getTime() + publishRetryDelayMs(claim.reply.attemptCount, deps.retryBaseMs));
      const retry = { at, ambiguous: opts.ambiguous, error, now: current, uncounted: opts.uncounted ?? false };
      if (!(await retryReply(db, claim, retry))) return lost(claim);
      logger.info({ trace: claim.reply.postTweetId, replyId: claim.reply.id, at, ambiguous: opts.ambiguous, error }, "reply publish retried later");
      return true;
    },
  };
}

/** Writes claimed replies' outcomes. */
export type OutcomeRecorder = ReturnType<typeof createOutcomeRecorder>;
