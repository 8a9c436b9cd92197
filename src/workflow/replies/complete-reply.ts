import type { Database } from "../../db/database.js";
import type { Claim } from "./claim-reply.js";
import { finishAttempt } from "./finish-attempt.js";

/** publishing → published with the tweet that answers the post (posted now, or found at X by a reconcile). */
export function completeReply(
  tx: Database,
  claim: Claim,
  done: { readonly tweetId: string; readonly how: "posted" | "reconciled"; readonly now: Date },
): Promise<boolean> {
  return finishAttempt(
    tx,
    claim,
    "published",
    { replyTweetId: done.tweetId, publishedAt: done.now, needsReconcile: false, failureReason: null },
    { outcome: done.how, finishedAt: done.now, tweetId: done.tweetId },
  );
}
