import { eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { publishAttempts, replies, type ReplyStatus } from "../../db/schema.js";
import type { Claim } from "./claim-reply.js";
import { transitionReply, type ReplyPatch } from "./transition.js";

/** How the attempt ended, as `publish_attempts` records it. */
export interface AttemptRecord {
  readonly outcome: "posted" | "reconciled" | "ambiguous" | "retry" | "failed" | "cancelled" | "post_edited";
  readonly finishedAt: Date;
  readonly tweetId?: string;
  readonly error?: string;
}

/**
 * publishing → `to`, only while this attempt still holds the claim (the attempt id guard): a
 * worker whose lease was taken over cannot overwrite a newer attempt. The attempt row is closed
 * either way, so a late answer still leaves its trace. Run it inside the outcome's transaction.
 */
export async function finishAttempt(
  tx: Database,
  claim: Claim,
  to: Extract<ReplyStatus, "published" | "approved" | "failed" | "cancelled" | "awaiting_approval">,
  patch: ReplyPatch,
  attempt: AttemptRecord,
): Promise<boolean> {
  const row = await transitionReply(
    tx,
    claim.reply.id,
    "publishing",
    to,
    { ...patch, leaseUntil: null },
    eq(replies.attemptId, claim.attemptId),
  );
  await tx
    .update(publishAttempts)
    .set({ outcome: attempt.outcome, finishedAt: attempt.finishedAt, tweetId: attempt.tweetId ?? null, error: attempt.error ?? null })
    .where(eq(publishAttempts.id, claim.attemptId));
  return row !== undefined;
}
