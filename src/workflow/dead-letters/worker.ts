import { and, asc, eq, lte } from "drizzle-orm";
import { traceOfReply } from "./trace.js";
import type { Database } from "../../db/database.js";
import { deadLetters, replies, type DeadLetterStatus } from "../../db/schema.js";
import type { Logger } from "../../logger.js";
import { findReply } from "../replies/find-reply.js";
import { requeueFailedReply } from "../replies/requeue-failed.js";
import { BATCH_SIZE, type DeadLetter, type DeadLetterRunResult } from "./entries.js";
import type { DeadLetterRecorder } from "./record.js";
import { rootMessage } from "../../kit/error-chain.js";
import { singleFlight } from "../../kit/single-flight.js";
import { clip } from "../../text/clip.js";

/** What the worker needs. */
export interface WorkerDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly recorder: DeadLetterRecorder;
  /** Woken after replies went back to it (then awaited); without it they wait for the publish job. */
  readonly publisher?: { runOnce(): Promise<unknown> };
  /** Redraws the cards of the replies that changed. */
  readonly onChange: () => Promise<unknown>;
  /** While true (the bot is paused) no entry is handed back: they wait, due, for the first run after /resume. */
  readonly isPaused?: () => Promise<boolean>;
}

/**
 * The worker: settles stale `retrying` entries, claims every due `pending` entry (FOR UPDATE SKIP
 * LOCKED in `(status, next_retry_at, id)` order) and hands its reply back to the publisher. Runs
 * are serialised in-process; a call during a run joins it and makes it look once more.
 */
export function createWorker(deps: WorkerDeps): { readonly runDue: () => Promise<DeadLetterRunResult> } {
  const { db, logger, now, recorder } = deps;

  /**
   * Claims one batch of due entries and hands their replies back to the publisher. Each entry is
   * handled in a savepoint: one whose handling throws is rolled back alone, moved to `exhausted`
   * with the reason (the dlq_exhausted alert; an admin can retry it from /dlq) and the batch goes on.
   */
  async function claimDue(): Promise<{ claimed: number; retried: number; poisoned: DeadLetter[] }> {
    return db.transaction(async (tx) => {
      const current = now();
      const due = await tx
        .select()
        .from(deadLetters)
        .where(and(eq(deadLetters.status, "pending"), lte(deadLetters.nextRetryAt, current)))
        .orderBy(asc(deadLetters.status), asc(deadLetters.nextRetryAt), asc(deadLetters.id))
        .limit(BATCH_SIZE)
        .for("update", { skipLocked: true });
      let retried = 0;
      const poisoned: DeadLetter[] = [];
      for (const entry of due) {
        try {
          if (await tx.transaction((savepoint) => handBack(savepoint, entry, current))) retried++;
        } catch (error) {
          const trace = await traceOfReply(tx, entry.replyId);
          logger.error({ err: error, trace, deadLetter: entry.id, replyId: entry.replyId }, "dead letter could not be retried; given up, the others go on");
          const [given] = await tx
            .update(deadLetters)
            .set({
              status: "exhausted",
              nextRetryAt: null,
              error: clip(`${entry.error}; the retry failed: ${rootMessage(error)}`, 1_000),
              updatedAt: current,
            })
            .where(eq(deadLetters.id, entry.id))
            .returning();
          if (given) poisoned.push(given);
        }
      }
      return { claimed: due.length, retried, poisoned };
    });
  }

  /** Hands one entry's reply back to the publisher (or settles the entry); true when it goes to the publisher. */
  async function handBack(tx: Database, entry: DeadLetter, current: Date): Promise<boolean> {
    const reply = (await requeueFailedReply(tx, entry.replyId, current)) ?? (await findReply(tx, entry.replyId));
    let status: DeadLetterStatus = "retrying";
    if (reply?.status === "published") status = "retried_successfully";
    else if (!reply || reply.status === "rejected" || reply.status === "expired" || reply.status === "cancelled") {
      status = "discarded";
    }
    // A reply already approved or publishing is on its way: the publisher settles the entry.
    await tx.update(deadLetters).set({ status, nextRetryAt: null, updatedAt: current }).where(eq(deadLetters.id, entry.id));
    const trace = reply?.postTweetId;
    if (status !== "retrying") logger.warn({ trace, deadLetter: entry.id, replyId: entry.replyId, reply: reply?.status }, "dead letter settled without a retry");
    else logger.info({ trace, deadLetter: entry.id, replyId: entry.replyId }, "dead letter handed back to the publisher");
    return status === "retrying";
  }

  /**
   * Settles `retrying` entries whose reply already failed without the publisher reporting it (a publisher wired
   * without this queue): one more failed retry. A publish settles its entry itself (see completeReplies).
   */
  async function settleStale(): Promise<{ settled: number; exhausted: DeadLetter[] }> {
    const stale = await db
      .select({ entry: deadLetters, reply: { failureReason: replies.failureReason, postTweetId: replies.postTweetId } })
      .from(deadLetters)
      .innerJoin(replies, eq(replies.id, deadLetters.replyId))
      .where(and(eq(deadLetters.status, "retrying"), eq(replies.status, "failed")))
      .limit(BATCH_SIZE);
    const exhausted: DeadLetter[] = [];
    for (const { entry, reply } of stale) {
      try {
        const written = await db.transaction((tx) =>
          recorder.record(
            {
              replyId: entry.replyId,
              accountId: entry.accountId,
              error: reply.failureReason ?? entry.error,
              errorType: entry.errorType,
              retryable: entry.retryable,
            },
            tx,
          ),
        );
        if (written.status === "exhausted") exhausted.push(written);
      } catch (error) {
        // One entry that cannot be settled must not hold up the others: it is tried again next run.
        logger.error({ err: error, trace: reply.postTweetId, deadLetter: entry.id, replyId: entry.replyId }, "dead letter could not be settled; the others go on");
      }
    }
    return { settled: stale.length, exhausted };
  }

  async function runOnce(): Promise<DeadLetterRunResult> {
    const result: DeadLetterRunResult = { retried: 0, settled: 0 };
    const stale = await settleStale();
    result.settled = stale.settled;
    for (const entry of stale.exhausted) recorder.afterCommit(entry);
    for (;;) {
      if (await deps.isPaused?.()) break;
      const { claimed, retried, poisoned } = await claimDue();
      result.retried += retried;
      for (const entry of poisoned) recorder.afterCommit(entry);
      if (claimed < BATCH_SIZE) break;
      // PGlite runs on the main thread: let timers and polling breathe between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (result.retried > 0 || result.settled > 0) {
      logger.info(result, "dead-letter retries handed to the publisher");
      // Wake the publisher before the cards are redrawn: Telegram must not hold up a publish.
      await Promise.all([deps.publisher?.runOnce(), deps.onChange()]);
    }
    return result;
  }

  // An entry that became due mid-run may have missed that run's SELECT: it gets a pass of its own.
  const runDue = singleFlight(runOnce, {
    rerun: true,
    combine: (total, next) => ({ retried: total.retried + next.retried, settled: total.settled + next.settled }),
  });
  return { runDue };
}
