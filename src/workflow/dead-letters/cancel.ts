import { and, inArray } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { deadLetters } from "../../db/schema.js";

/**
 * Closes the dead letters of replies that will never be published by a retry (cancelled after an
 * opt-out, or sent back for review): open and exhausted entries become `discarded`, so neither the
 * worker nor an admin's "Retry now" can hand them back. Resolves with how many were closed.
 */
export async function discardDeadLetters(tx: Database, replyIds: readonly number[], now: Date): Promise<number> {
  if (replyIds.length === 0) return 0;
  const closed = await tx
    .update(deadLetters)
    .set({ status: "discarded", nextRetryAt: null, updatedAt: now })
    .where(and(inArray(deadLetters.replyId, [...replyIds]), inArray(deadLetters.status, ["pending", "retrying", "exhausted"])))
    .returning({ id: deadLetters.id });
  return closed.length;
}
