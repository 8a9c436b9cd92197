import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { approvalBatchItems, replies } from "../../db/schema.js";
import { moveReplies } from "./transition.js";

/**
 * approved → awaiting_approval for the replies a bulk batch approved that no attempt holds: not claimed now
 * (status still `approved`) and not flagged `needs_reconcile` (an earlier attempt may have posted it; only its
 * account can tell). The claim's guarded move and this one exclude each other, so a reply is either claimed or
 * un-approved, never both. Resolves with the ids moved back.
 */
export async function unapproveBatchReplies(db: Database, batchId: number): Promise<number[]> {
  const ofBatch = db
    .select({ id: approvalBatchItems.replyId })
    .from(approvalBatchItems)
    .where(and(eq(approvalBatchItems.batchId, batchId), eq(approvalBatchItems.state, "approved")));
  const moved = await moveReplies(db, "approved", "awaiting_approval", and(inArray(replies.id, ofBatch), eq(replies.needsReconcile, false)), {
    decidedBy: null,
    decidedAt: null,
    scheduledAt: null,
  });
  return moved.map(({ id }) => id);
}
