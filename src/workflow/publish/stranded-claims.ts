import type { Database } from "../../db/database.js";
import type { Logger } from "../../logger.js";
import type { Claim } from "../replies/claim-replies.js";
import { releaseUnansweredClaim, type UnansweredClaim } from "../replies/release-unanswered-claim.js";
import type { OutcomeRecorder } from "./record-outcome.js";

/** How a claim that could not be written goes back to `approved`. */
export interface StrandedClaim {
  readonly claim: Claim;
  readonly reason: string;
  /** A POST may have gone out: the next attempt looks for it at X first. */
  readonly ambiguous: boolean;
  /** Never attempted (the rest of a batch whose account stopped): its attempt does not count. */
  readonly uncounted: boolean;
}

/** What keeping stranded claims needs. */
export interface StrandedClaimsDeps {
  readonly db: Database;
  readonly outcomes: Pick<OutcomeRecorder, "retryLater">;
  readonly now: () => Date;
  readonly logger: Logger;
}

/**
 * Claims this process holds but whose outcome or hand-back the database failed to take (a restart, a lost
 * connection), and claim statements that failed without an answer (they may have committed). They are kept here and
 * handed back at the start of the next run, once the database answers again, instead of sitting in `publishing` until
 * their lease ends (minutes). Each hand-back is guarded by its attempt id, so one whose claim was taken over meanwhile
 * writes nothing. If the process dies first, the lease's release covers them as before.
 */
export function createStrandedClaims(deps: StrandedClaimsDeps) {
  const { outcomes, now, logger } = deps;
  const held = new Map<string, StrandedClaim>();
  const unanswered = new Map<string, UnansweredClaim>();

  return {
    /** Keeps a claim to hand back at the next run. */
    hold(stranded: StrandedClaim): void {
      held.set(stranded.claim.attemptId, stranded);
      const { reply } = stranded.claim;
      logger.warn({ trace: reply.postTweetId, replyId: reply.id, ambiguous: stranded.ambiguous }, "publish claim kept to hand back: the database failed");
    },

    /** Keeps a claim statement that failed without an answer, to hand back whatever it took at the next run. */
    holdUnanswered(claim: UnansweredClaim): void {
      unanswered.set(claim.token, claim);
      logger.warn({ accountId: claim.accountId }, "publish claim failed without an answer; what it took is handed back at the next run");
    },

    /** Hands back every kept claim, due now; stops at the first write the database fails (the rest stay kept). */
    async handBackAll(): Promise<number> {
      let handedBack = 0;
      for (const [token, claim] of unanswered) {
        handedBack += (await releaseUnansweredClaim(deps.db, claim, now())).length;
        unanswered.delete(token);
      }
      for (const [attemptId, { claim, reason, ambiguous, uncounted }] of held) {
        await outcomes.retryLater(claim, reason, { ambiguous, at: now(), uncounted });
        held.delete(attemptId);
        handedBack++;
      }
      return handedBack;
    },
  };
}

/** Claims kept to hand back after a database failure. */
export type StrandedClaims = ReturnType<typeof createStrandedClaims>;
