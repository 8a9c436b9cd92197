import type { Database } from "../../db/database.js";
import type { Claim } from "./claim-replies.js";
import { finishAttempt } from "./finish-attempt.js";
import { clip } from "../../text/clip.js";
import { FAILURE_REASON_MAX } from "./transition.js";

/** publishing → failed with a readable reason (the card shows it; the dead-letter queue takes it from there). */
export function failReply(
  tx: Database,
  claim: Claim,
  failure: { readonly reason: string; readonly now: Date },
): Promise<boolean> {
  return finishAttempt(
    tx,
    claim,
    "failed",
    { failureReason: clip(failure.reason, FAILURE_REASON_MAX) },
    { outcome: "failed", finishedAt: failure.now, error: failure.reason },
  );
}
