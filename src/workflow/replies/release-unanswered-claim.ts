import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { publishAttempts, replies } from "../../db/schema.js";
import { claimAttemptId } from "./claim-replies.js";
import { moveStatement } from "./transition.js";

/** A claim statement that failed without an answer: the account it claimed for and the token it carried. */
export interface UnansweredClaim {
  readonly accountId: number;
  readonly token: string;
}

/** Why the replies of an unanswered claim went back (kept on the reply and its attempt). */
export const UNANSWERED_CLAIM_REASON = "handed back unattempted: the database failed before the claim's answer arrived";

/**
 * publishing → approved, due `now`, for the replies a claim took although its answer never reached the publisher (the
 * connection died after the commit). They are found by the claim's token, since each attempt id it recorded is
 * md5(token, reply id) (see `claimAttemptId`). Nothing was posted (the publisher never saw them), so the attempt is
 * uncounted, no reconcile is asked for, and the attempt row is closed as a retry. Resolves with the ids that moved.
 */
export async function releaseUnansweredClaim(db: Database, claim: UnansweredClaim, now: Date): Promise<number[]> {
  const moved = db.$with("moved").as(
    moveStatement(
      db,
      "publishing",
      "approved",
      and(eq(replies.accountId, claim.accountId), sql`${replies.attemptId} = ${claimAttemptId(claim.token, sql`${replies.id}`)}`),
      { leaseUntil: null, scheduledAt: now, attemptCount: sql`${replies.attemptCount} - 1`, failureReason: UNANSWERED_CLAIM_REASON },
    ),
  );
  const closed = db.$with("closed").as(
    db
      .update(publishAttempts)
      .set({ outcome: "retry", finishedAt: now, error: UNANSWERED_CLAIM_REASON })
      .where(sql`${publishAttempts.id} in (select ${moved.attemptId} from ${moved})`)
      .returning({ id: publishAttempts.id }),
  );
  const rows = await db.with(moved, closed).select({ id: moved.id }).from(moved);
  return rows.map(({ id }) => id);
}
