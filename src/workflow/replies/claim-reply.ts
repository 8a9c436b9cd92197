import { randomUUID } from "node:crypto";
import { and, asc, eq, isNull, lte, not, or, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { publishAttempts, replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { transitionReply } from "./transition.js";

/** A reply held by one publish attempt of one account: every outcome is written against this attempt id. */
export interface Claim {
  readonly reply: Reply;
  readonly attemptId: string;
  /** The account the reply was assigned to by this claim. */
  readonly accountId: number;
}

/**
 * The only account that may publish the reply, or null when any may: its bound account (the post
 * summoned it), else the account of an attempt whose outcome is unknown (`needs_reconcile`): only
 * that account can look for it on X, so the reply stays with it until it has (else two accounts
 * could post it). The TypeScript twin of {@link claimableBy}'s filter, for cards and /queue.
 */
export function requiredAccount(reply: Pick<Reply, "boundAccountId" | "needsReconcile" | "accountId">): number | null {
  return reply.boundAccountId ?? (reply.needsReconcile ? reply.accountId : null);
}

/** Due approved replies `accountId` may claim: bound to it or free, and not pinned to another account by an unknown outcome. */
function claimableBy(accountId: number, now: Date) {
  return and(
    eq(replies.status, "approved"),
    lte(replies.scheduledAt, now),
    or(isNull(replies.boundAccountId), eq(replies.boundAccountId, accountId)),
    or(not(replies.needsReconcile), eq(replies.accountId, accountId)),
  );
}

/**
 * The next reply `accountId` may claim, in claim order: priority (mention, target, search), then
 * approval time, then id — the exact order of `replies_claim_order_idx`, so FOR UPDATE SKIP LOCKED
 * walks the index instead of sorting the whole backlog. Exported for the plan test.
 */
export function nextClaimable(db: Database, accountId: number, now: Date) {
  return db
    .select({ id: replies.id })
    .from(replies)
    .where(claimableBy(accountId, now))
    .orderBy(asc(replies.status), asc(replies.priority), asc(replies.decidedAt), asc(replies.id))
    .limit(1)
    .for("update", { skipLocked: true });
}

/**
 * approved → publishing for the next reply the account may claim (see {@link nextClaimable}), assigned to
 * that account: the reply's `account_id`, a lease and a fresh attempt id recorded in
 * `publish_attempts` with the account, all in one transaction. A second worker skips the locked row
 * instead of waiting, so no reply is ever claimed twice.
 */
export function claimReply(
  db: Database,
  claim: { readonly accountId: number; readonly now: Date; readonly leaseSeconds: number },
): Promise<Claim | undefined> {
  const { accountId, now } = claim;
  return db.transaction(async (tx) => {
    const [due] = await nextClaimable(tx, accountId, now);
    if (!due) return undefined;
    const attemptId = randomUUID();
    const reply = await transitionReply(tx, due.id, "approved", "publishing", {
      accountId,
      leaseUntil: new Date(now.getTime() + claim.leaseSeconds * 1000),
      attemptId,
      attemptCount: sql`${replies.attemptCount} + 1`,
    });
    if (!reply) return undefined;
    await tx.insert(publishAttempts).values({ id: attemptId, replyId: reply.id, accountId, startedAt: now });
    return { reply, attemptId, accountId };
  });
}
