import type { Database } from "../../db/database.js";
import { clip } from "../../text/clip.js";
import type { Claim } from "./claim-replies.js";
import { finishAttempt } from "./finish-attempt.js";
import { FAILURE_REASON_MAX } from "./transition.js";

/**
 * publishing → awaiting_approval by the attempt holding the claim, before its POST: the post was
 * edited on X after the draft, so an admin decides again on the new text. The approval is undone
 * and the draft gets a fresh time to live as long as its first one; nothing reached X (a flagged
 * reply was reconciled first), so the flag is cleared.
 */
export function returnForReview(
  tx: Database,
  claim: Claim,
  review: { readonly reason: string; readonly now: Date },
): Promise<boolean> {
  const { reply } = claim;
  const ttlMs = Math.max(reply.expiresAt.getTime() - reply.createdAt.getTime(), 0);
  return finishAttempt(
    tx,
    claim,
    "awaiting_approval",
    {
      failureReason: clip(review.reason, FAILURE_REASON_MAX),
      needsReconcile: false,
      decidedBy: null,
      decidedAt: null,
      scheduledAt: null,
      expiresAt: new Date(review.now.getTime() + ttlMs),
    },
    { outcome: "post_edited", finishedAt: review.now, error: review.reason },
  );
}
