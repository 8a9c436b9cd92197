import { and, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { deadLetters, workflowEvents } from "../../db/schema.js";
import { OPEN_STATUSES } from "../dead-letters/entries.js";
import type { Claim } from "./claim-replies.js";
import { finishingParts } from "./finish-attempt.js";

/** What completing a reply did: whether it moved, and how many open dead letters of it were settled. */
export interface Completion {
  readonly completed: boolean;
  readonly deadLettersSettled: number;
}

/**
 * publishing → published with the tweet that answers the post (posted now, or found at X by a reconcile), in
 * one statement: the move, the attempt closed, its `published` event for /stats, and its open dead letter (a
 * retry that went through) settled as `retried_successfully`.
 */
export async function completeReply(
  db: Database,
  claim: Claim,
  done: { readonly tweetId: string; readonly how: "posted" | "reconciled"; readonly now: Date },
): Promise<Completion> {
  const { moved, closed } = finishingParts(
    db,
    claim,
    "published",
    { replyTweetId: done.tweetId, publishedAt: done.now, needsReconcile: false, failureReason: null },
    { outcome: done.how, finishedAt: done.now, tweetId: done.tweetId },
  );
  const event = db.$with("event", { id: sql<number>`id` }).as(
    sql`insert into ${workflowEvents} (kind, reply_id) select 'published', id from ${moved} returning id`,
  );
  const settled = db.$with("settled").as(
    db
      .update(deadLetters)
      .set({ status: "retried_successfully", nextRetryAt: null, updatedAt: done.now })
      .where(and(sql`${deadLetters.replyId} in (select id from ${moved})`, inArray(deadLetters.status, OPEN_STATUSES)))
      .returning({ id: deadLetters.id }),
  );
  const [row] = await db
    .with(moved, closed, event, settled)
    .select({ id: moved.id, settled: sql<number>`(select count(*) from ${settled})`.mapWith(Number) })
    .from(moved);
  return { completed: row !== undefined, deadLettersSettled: row?.settled ?? 0 };
}
