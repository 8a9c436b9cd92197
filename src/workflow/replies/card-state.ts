import { and, eq, gt, gte, inArray, isNull, or, sql } from "drizzle-orm";
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

/**
 * Records that a send of the reply's card is about to begin (before sendMessage), while it has no stored card:
 * resolves with the sends begun so far including this one (more than one: an earlier send may have reached the
 * chat before a crash), or undefined when a card was stored meanwhile (adopted by a press) and nothing is to be sent.
 */
export async function markCardSending(db: Database, id: number): Promise<number | undefined> {
  const [row] = await db
    .update(replies)
    .set({ cardSends: sql`${replies.cardSends} + 1` })
    .where(and(eq(replies.id, id), isNull(replies.cardMessageId)))
    .returning({ cardSends: replies.cardSends });
  return row?.cardSends;
}

/** Takes back a begun send Telegram certainly did not deliver (it answered with an error), so no later card says "sent again". */
export async function forgetCardSend(db: Database, id: number): Promise<void> {
  await db
    .update(replies)
    .set({ cardSends: sql`${replies.cardSends} - 1` })
    .where(and(eq(replies.id, id), isNull(replies.cardMessageId), gt(replies.cardSends, 0)));
}

/**
 * Adopts message `messageId`, drawn for `version`, as the reply's card: a press came on a card whose send
 * finished but whose id was never stored (the process died in between). Only while no card is stored, and only
 * for a version the reply has reached. Resolves with whether it was adopted.
 */
export async function adoptCard(db: Database, id: number, messageId: number, version: number): Promise<boolean> {
  const adopted = await db
    .update(replies)
    .set({ cardMessageId: messageId, cardVersion: sql`greatest(${replies.cardVersion}, ${version})` })
    .where(and(eq(replies.id, id), isNull(replies.cardMessageId), gte(replies.version, version)))
    .returning({ id: replies.id });
  return adopted.length > 0;
}
