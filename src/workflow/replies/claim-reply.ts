import { randomUUID } from "node:crypto";
import { and, asc, eq, lte, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { publishAttempts, replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { transitionReply } from "./transition.js";

/** A reply held by one publish attempt: every outcome is written against this attempt id. */
export interface Claim {
  readonly reply: Reply;
  readonly attemptId: string;
}

/**
 * approved → publishing for the account's oldest due reply, with a lease and a fresh attempt id
 * recorded in `publish_attempts`, in one transaction. The row is picked FOR UPDATE SKIP LOCKED in
 * `(status, scheduled_at, id)` order, the claim index's exact order, so a second worker skips it
 * instead of waiting and Postgres never sorts the whole backlog.
 */
export function claimReply(
  db: Database,
  claim: { readonly accountId: number; readonly now: Date; readonly leaseSeconds: number },
): Promise<Claim | undefined> {
  const { accountId, now } = claim;
  return db.transaction(async (tx) => {
    const [due] = await tx
      .select({ id: replies.id })
      .from(replies)
      .where(and(eq(replies.status, "approved"), lte(replies.scheduledAt, now), eq(replies.accountId, accountId)))
      .orderBy(asc(replies.status), asc(replies.scheduledAt), asc(replies.id))
      .limit(1)
      .for("update", { skipLocked: true });
    if (!due) return undefined;
    const attemptId = randomUUID();
    const reply = await transitionReply(tx, due.id, "approved", "publishing", {
      leaseUntil: new Date(now.getTime() + claim.leaseSeconds * 1000),
      attemptId,
      attemptCount: sql`${replies.attemptCount} + 1`,
    });
    if (!reply) return undefined;
    await tx.insert(publishAttempts).values({ id: attemptId, replyId: reply.id, accountId, startedAt: now });
    return { reply, attemptId };
  });
}
