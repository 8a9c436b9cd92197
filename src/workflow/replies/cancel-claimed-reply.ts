import type { Database } from "../../db/database.js";
import { clip } from "../../text/clip.js";
import type { Claim } from "./claim-replies.js";
import { finishAttempt } from "./finish-attempt.js";
import { FAILURE_REASON_MAX } from "./transition.js";

/**
 * publishing → cancelled by the attempt holding the claim, before its POST (the author opted out).
 * Nothing reached X by then (a flagged reply was reconciled first), so the flag is cleared.
 */
export function cancelClaimedReply(
  tx: Database,
  claim: Claim,
  cancel: { readonly reason: string; readonly now: Date },
): Promise<boolean> {
  return finishAttempt(
    tx,
    claim,
    "cancelled",
    { failureReason: clip(cancel.reason, FAILURE_REASON_MAX), needsReconcile: false },
    { outcome: "cancelled", finishedAt: cancel.now, error: cancel.reason },
  );
}
