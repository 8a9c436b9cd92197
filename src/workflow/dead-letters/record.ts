import { and, eq, inArray } from "drizzle-orm";
import { traceOfReply } from "./trace.js";
import type { Database } from "../../db/database.js";
import { deadLetters, type DeadLetterStatus } from "../../db/schema.js";
import type { Logger } from "../../logger.js";
import { explainFailure } from "../replies/explain-failure.js";
import { deadLetterDelayMs, OPEN_STATUSES, type DeadLetter, type DeadLetterInput, type DeadLetterSettings } from "./entries.js";

/** What recording dead letters needs. */
export interface RecorderDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly settings: DeadLetterSettings;
  readonly now: () => Date;
  /** Called once per move to `exhausted` (after the move is committed). */
  readonly onExhausted?: (entry: DeadLetter) => void;
}

/**
 * The publisher's side of the queue: `record` a failed reply (a new entry, or one more failed retry
 * of its open entry), `afterCommit` to raise "exhausted" once the caller's transaction is committed.
 * (A published reply settles its entry in its own statement: replies/complete-replies.ts.)
 */
export function createRecorder(deps: RecorderDeps) {
  const { db, logger, settings, now } = deps;

  /** Raises `onExhausted` for an entry that `record` wrote inside the caller's committed transaction. */
  function afterCommit(entry: DeadLetter): void {
    if (entry.status !== "exhausted" || !deps.onExhausted) return;
    try {
      deps.onExhausted(entry);
    } catch (error) {
      logger.warn({ err: error, deadLetter: entry.id }, "onExhausted failed");
    }
  }

  /** Inserts the reply's entry, or counts one more failed retry on its open entry. */
  async function record(input: DeadLetterInput, tx: Database = db): Promise<DeadLetter> {
    const current = now();
    const [open] = await tx
      .select()
      .from(deadLetters)
      .where(and(eq(deadLetters.replyId, input.replyId), inArray(deadLetters.status, OPEN_STATUSES)))
      .for("update");
    const retryCount = open ? open.retryCount + 1 : 0;
    const exhausted = !input.retryable || retryCount >= settings.maxRetries;
    const values = {
      accountId: input.accountId,
      error: input.error.slice(0, 1_000),
      errorType: input.errorType,
      retryable: input.retryable,
      status: (exhausted ? "exhausted" : "pending") as DeadLetterStatus,
      retryCount,
      nextRetryAt: exhausted ? null : new Date(current.getTime() + deadLetterDelayMs(settings, retryCount)),
      updatedAt: current,
    };
    const [entry] = open
      ? await tx.update(deadLetters).set(values).where(eq(deadLetters.id, open.id)).returning()
      : await tx
          .insert(deadLetters)
          .values({ ...values, replyId: input.replyId, createdAt: current })
          .returning();
    if (!entry) throw new Error(`dead letter of reply ${input.replyId} could not be written`);
    if (exhausted && input.retryable) {
      // The card says so: the reply stays failed, now with why nothing more will happen on its own.
      const times = retryCount === 1 ? "retry" : "retries";
      await explainFailure(tx, input.replyId, `gave up after ${retryCount} ${times}: ${input.error}`);
    }
    logger.info(
      { trace: await traceOfReply(tx, entry.replyId), deadLetter: entry.id, replyId: entry.replyId, status: entry.status, retryCount, errorType: entry.errorType },
      exhausted ? "publish dead letter exhausted" : "publish dead-lettered for a later retry",
    );
    if (tx === db) afterCommit(entry);
    return entry;
  }

  return { record, afterCommit };
}

/** What the publisher needs of the queue. */
export type DeadLetterRecorder = ReturnType<typeof createRecorder>;
