import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import { clip } from "../../text/clip.js";
import { FAILURE_REASON_MAX } from "./transition.js";

/**
 * Rewrites the reason a failed reply shows on its card (no status move; the version is bumped so
 * the card is redrawn). Nothing happens when the reply is not failed.
 */
export async function explainFailure(tx: Database, id: number, reason: string): Promise<void> {
  await tx
    .update(replies)
    .set({ failureReason: clip(reason, FAILURE_REASON_MAX), version: sql`${replies.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(replies.id, id), eq(replies.status, "failed")));
}
