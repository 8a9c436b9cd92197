import { eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";

/** Marks the cards of open replies as stale (e.g. after /pause), so the next sync redraws them. */
export async function markOpenCardsStale(db: Database): Promise<void> {
  await db
    .update(replies)
    .set({ cardVersion: 0 })
    .where(inArray(replies.status, ["awaiting_approval", "approved", "publishing"]));
}

/**
 * Records that the reply's card (message `messageId`) shows version `version`. Never moves the card
 * version back: a slower sync of an older version must not hide a newer change.
 */
export async function markCardDrawn(db: Database, id: number, messageId: number, version: number): Promise<void> {
  await db
    .update(replies)
    .set({ cardMessageId: messageId, cardVersion: sql`greatest(${replies.cardVersion}, ${version})` })
    .where(eq(replies.id, id));
}
