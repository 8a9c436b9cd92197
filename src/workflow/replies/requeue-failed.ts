import type { Database } from "../../db/database.js";
import type { Reply } from "../reply-states.js";
import { transitionReply } from "./transition.js";

/**
 * failed → approved, due at `now`, for a dead-letter retry. Always flagged to be reconciled: an
 * earlier attempt may have reached X. Undefined when the reply is no longer failed.
 */
export function requeueFailedReply(tx: Database, id: number, now: Date): Promise<Reply | undefined> {
  return transitionReply(tx, id, "failed", "approved", { needsReconcile: true, scheduledAt: now, leaseUntil: null });
}
