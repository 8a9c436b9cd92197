import type { Database } from "../../db/database.js";
import type { Claim } from "./claim-reply.js";
import { finishAttempt } from "./finish-attempt.js";

/**
 * publishing → approved, due again at `at`. `ambiguous`: the POST may have reached X, so the next
 * attempt reconciles first (a flag already set stays set until a publish clears it).
 */
export function retryReply(
  tx: Database,
  claim: Claim,
  retry: { readonly at: Date; readonly ambiguous: boolean; readonly error: string; readonly now: Date },
): Promise<boolean> {
  return finishAttempt(
    tx,
    claim,
    "approved",
    {
      needsReconcile: retry.ambiguous || claim.reply.needsReconcile,
      scheduledAt: retry.at,
      failureReason: retry.error.slice(0, 300),
    },
    { outcome: retry.ambiguous ? "ambiguous" : "retry", finishedAt: retry.now, error: retry.error },
  );
}
