import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { Claim } from "./claim-replies.js";

/** Only while this attempt still holds the claim: a worker whose lease was taken over writes nothing. */
function heldBy(claim: Claim) {
  return and(eq(replies.id, claim.reply.id), eq(replies.status, "publishing"), eq(replies.attemptId, claim.attemptId));
}

/**
 * Moves the claim's lease to `until` before a long step (a video upload can outlast the lease, and an expired
 * lease lets recovery hand the reply to another worker). Neither the status nor the version changes: the card
 * has nothing new to show. Resolves false when the claim was lost.
 */
export async function extendLease(db: Database, claim: Claim, until: Date): Promise<boolean> {
  const rows = await db.update(replies).set({ leaseUntil: until }).where(heldBy(claim)).returning({ id: replies.id });
  return rows.length > 0;
}

/**
 * Keeps the media id X gave the claim's account for the attachment, so a retry (or a dead-letter retry) by the
 * same account posts with it instead of uploading again while it is valid. Resolves false when the claim was lost.
 */
export async function recordMediaUpload(
  db: Database,
  claim: Claim,
  upload: { readonly mediaId: string; readonly expiresAt: Date | undefined },
): Promise<boolean> {
  const rows = await db
    .update(replies)
    .set({ mediaXId: upload.mediaId, mediaXAccountId: claim.accountId, mediaXExpiresAt: upload.expiresAt ?? null })
    .where(heldBy(claim))
    .returning({ id: replies.id });
  return rows.length > 0;
}
