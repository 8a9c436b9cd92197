import { and, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { preparedPerDatabase } from "../../db/prepared.js";
import { deadLetters, publishAttempts, replies, workflowEvents } from "../../db/schema.js";
import { OPEN_STATUSES } from "../dead-letters/entries.js";
import type { Claim } from "./claim-replies.js";
import { moveStatement } from "./transition.js";

/** What completing a reply did: whether it moved, and how many open dead letters of it were settled. */
export interface Completion {
  readonly completed: boolean;
  readonly deadLettersSettled: number;
}

/** The statement's parameters, by placeholder name (an instant as ISO text: no column encodes a bare placeholder). */
type CompletionValues = {
  readonly replyId: number;
  readonly attemptId: string;
  readonly tweetId: string;
  readonly how: "posted" | "reconciled";
  readonly now: string;
};

/** A parameter of the prepared statement, as SQL (cast where the column type does not tell the server). */
const value = (name: keyof CompletionValues, cast = "") => sql`${sql.placeholder(name)}${sql.raw(cast)}`;
const at = () => value("now", "::timestamptz");

/** The completion with placeholders, prepared once per database (see {@link completeReply}). */
const completion = preparedPerDatabase((db) => {
  const moved = db.$with("moved").as(
    moveStatement(db, "publishing", "published", sql`${replies.id} = ${value("replyId")} and ${replies.attemptId} = ${value("attemptId", "::uuid")}`, {
      replyTweetId: value("tweetId", "::text"),
      publishedAt: at(),
      needsReconcile: false,
      failureReason: null,
      leaseUntil: null,
    }),
  );
  const closed = db.$with("closed").as(
    db
      .update(publishAttempts)
      .set({ outcome: sql`${value("how", "::text")}`, finishedAt: at(), tweetId: value("tweetId", "::text"), error: null })
      .where(sql`${publishAttempts.id} = ${value("attemptId", "::uuid")}`)
      .returning({ id: publishAttempts.id }),
  );
  const event = db.$with("event", { id: sql<number>`id` }).as(
    sql`insert into ${workflowEvents} (kind, reply_id) select 'published', id from ${moved} returning id`,
  );
  const settled = db.$with("settled").as(
    db
      .update(deadLetters)
      .set({ status: "retried_successfully", nextRetryAt: null, updatedAt: at() })
      .where(and(sql`${deadLetters.replyId} in (select id from ${moved})`, inArray(deadLetters.status, OPEN_STATUSES)))
      .returning({ id: deadLetters.id }),
  );
  return db
    .with(moved, closed, event, settled)
    .select({ id: moved.id, settled: sql<number>`(select count(*) from ${settled})`.mapWith(Number) })
    .from(moved)
    .prepare("complete_reply");
});

/**
 * publishing → published with the tweet that answers the post (posted now, or found at X by a reconcile), in
 * one statement: the move (only while this attempt holds the claim), the attempt closed, its `published` event
 * for /stats, and its open dead letter (a retry that went through) settled as `retried_successfully`.
 */
export async function completeReply(
  db: Database,
  claim: Claim,
  done: { readonly tweetId: string; readonly how: "posted" | "reconciled"; readonly now: Date },
): Promise<Completion> {
  const values: CompletionValues = { replyId: claim.reply.id, attemptId: claim.attemptId, tweetId: done.tweetId, how: done.how, now: done.now.toISOString() };
  const [row] = await completion(db).execute(values);
  return { completed: row !== undefined, deadLettersSettled: row?.settled ?? 0 };
}
