import type { Database } from "../../db/database.js";
import type { Claim } from "./claim-reply.js";
import { finishAttempt } from "./finish-attempt.js";

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
    { failureReason: failure.reason.slice(0, 300) },
    { outcome: "failed", finishedAt: failure.now, error: failure.reason },
  );
}
