import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { publishAttempts, replies, type ReplyStatus } from "../../db/schema.js";
import type { Claim } from "./claim-replies.js";
import { moveStatement, type ReplyPatch } from "./transition.js";

/** How the attempt ended, as `publish_attempts` records it. */
export interface AttemptRecord {
  readonly outcome: "posted" | "reconciled" | "ambiguous" | "retry" | "failed" | "cancelled" | "post_edited";
  readonly finishedAt: Date;
  readonly tweetId?: string;
  readonly error?: string;
}

/** What a finishing move is to. */
export type FinishedStatus = Extract<ReplyStatus, "published" | "approved" | "failed" | "cancelled" | "awaiting_approval">;

/**
 * publishing → `to` for this attempt, in one statement with its attempt row closed: the reply moves only while this
 * attempt still holds the claim (the attempt id guard, so a worker whose lease was taken over cannot overwrite a
 * newer attempt), and the attempt row is closed either way, so a late answer still leaves its trace. Resolves
 * whether the reply moved.
 */
export async function finishAttempt(
  db: Database,
  claim: Claim,
  to: FinishedStatus,
  patch: ReplyPatch,
  attempt: AttemptRecord,
): Promise<boolean> {
  const moved = db.$with("moved").as(
    moveStatement(db, "publishing", to, and(eq(replies.id, claim.reply.id), eq(replies.attemptId, claim.attemptId)), {
      ...patch,
      leaseUntil: null,
    }),
  );
  const closed = db.$with("closed").as(
    db
      .update(publishAttempts)
      .set({ outcome: attempt.outcome, finishedAt: attempt.finishedAt, tweetId: attempt.tweetId ?? null, error: attempt.error ?? null })
      .where(eq(publishAttempts.id, claim.attemptId))
      .returning({ id: publishAttempts.id }),
  );
  const rows = await db.with(moved, closed).select({ id: moved.id }).from(moved);
  return rows.length > 0;
}
