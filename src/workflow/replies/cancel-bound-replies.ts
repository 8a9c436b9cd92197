import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import { clip } from "../../text/clip.js";
import { FAILURE_REASON_MAX, moveReplies } from "./transition.js";

/**
 * awaiting_approval | approved → cancelled for every reply bound to `accountId` (its post summoned that account, so
 * no other may publish it): the account is being removed and an admin chose to drop them. An approved reply flagged
 * `needs_reconcile` is left as it is: an attempt may have posted it, and calling it cancelled could be a lie.
 * Resolves with the ids cancelled.
 */
export async function cancelBoundReplies(tx: Database, accountId: number, reason: string): Promise<number[]> {
  const bound = eq(replies.boundAccountId, accountId);
  const patch = { failureReason: clip(reason, FAILURE_REASON_MAX), leaseUntil: null };
  const moved = [
    ...(await moveReplies(tx, "awaiting_approval", "cancelled", bound, patch)),
    ...(await moveReplies(tx, "approved", "cancelled", and(bound, eq(replies.needsReconcile, false)), patch)),
  ];
  return moved.map(({ id }) => id);
}
