import { sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { Claim } from "./claim-replies.js";
import { finishAttempt } from "./finish-attempt.js";
import { clip } from "../../text/clip.js";
import { FAILURE_REASON_MAX } from "./transition.js";

/**
 * publishing → approved, due again at `at`. `ambiguous`: the POST may have reached X, so the next
 * attempt reconciles first (a flag already set stays set until a publish clears it). `uncounted`:
 * the claim's attempt is given back (its account was down), so it does not use up the reply's retries.
 */
export function retryReply(
  tx: Database,
  claim: Claim,
  retry: { readonly at: Date; readonly ambiguous: boolean; readonly error: string; readonly now: Date; readonly uncounted?: boolean },
): Promise<boolean> {
  return finishAttempt(
    tx,
    claim,
    "approved",
    {
      needsReconcile: retry.ambiguous || claim.reply.needsReconcile,
      scheduledAt: retry.at,
      failureReason: clip(retry.error, FAILURE_REASON_MAX),
      ...(retry.uncounted ? { attemptCount: sql`${replies.attemptCount} - 1` } : {}),
    },
    { outcome: retry.ambiguous ? "ambiguous" : "retry", finishedAt: retry.now, error: retry.error },
  );
}
