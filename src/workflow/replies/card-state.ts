import { and, eq, inArray, or, sql } from "drizzle-orm";
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
 * Marks stale the cards of approved replies only one of `accountIds` may publish (bound to it, or
 * pinned to it by an unknown outcome), after those accounts left or rejoined the pool, so each card
 * says again whom it waits for. Resolves with how many were marked.
 */
export async function markHeldCardsStale(db: Database, accountIds: readonly number[]): Promise<number> {
  const marked = await db
    .update(replies)
    .set({ cardVersion: 0 })
    .where(
      and(
        eq(replies.status, "approved"),
        or(
          inArray(replies.boundAccountId, [...accountIds]),
          and(eq(replies.needsReconcile, true), inArray(replies.accountId, [...accountIds])),
        ),
      ),
    )
    .returning({ id: replies.id });
  return marked.length;
}

/**
 * Records that the reply's card (message `messageId`) shows version `version`. Never moves the card
 * version back: a slower sync of an older version must not hide a newer change.
 */
export async function markCardDrawn(db: Database, id: number, messageId: number, version: number): Promise<void> {
  await db
    .update(replies)
    .set({
      cardMessageId: messageId,
      cardVersion: sql`greatest(${replies.cardVersion}, ${version})`,
      // A card drawn at or past a refused version supersedes that refusal.
      cardFailedVersion: sql`case when ${replies.cardFailedVersion} <= ${version} then null else ${replies.cardFailedVersion} end`,
      cardFailedAt: sql`case when ${replies.cardFailedVersion} <= ${version} then null else ${replies.cardFailedAt} end`,
      cardFailureReason: sql`case when ${replies.cardFailedVersion} <= ${version} then null else ${replies.cardFailureReason} end`,
    })
    .where(eq(replies.id, id));
}

/**
 * Records that Telegram refused the card of version `version` (too long, unparsable…): card sync
 * leaves the reply alone until its version moves past this one (an edit, a regenerate, a status
 * move), then tries once more. The reply itself is untouched: its draft stays whole in the database.
 */
export async function markCardFailed(db: Database, id: number, version: number, reason: string, at: Date): Promise<void> {
  await db
    .update(replies)
    .set({ cardFailedVersion: version, cardFailedAt: at, cardFailureReason: reason })
    .where(eq(replies.id, id));
}
