import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { posts, replies } from "../../db/schema.js";
import { clip } from "../../text/clip.js";
import { FAILURE_REASON_MAX, moveReplies } from "./transition.js";

/**
 * awaiting_approval | approved | failed → cancelled for every reply to a post by `username`
 * (case-insensitive): the author opted out. A claimed reply (`publishing`) is left to the attempt
 * holding it, which checks opt-out right before its POST; an approved reply flagged
 * `needs_reconcile` is left to the publisher too, which first reads X for an earlier POST (found →
 * published, as it truly is; not found → cancelled). Resolves with the ids cancelled.
 */
export async function cancelRepliesToAuthor(tx: Database, username: string, reason: string): Promise<number[]> {
  const byAuthor = inArray(
    replies.postTweetId,
    tx
      .select({ id: posts.tweetId })
      .from(posts)
      .where(sql`lower(${posts.authorUsername}) = ${username.toLowerCase()}`),
  );
  const patch = { failureReason: clip(reason, FAILURE_REASON_MAX), leaseUntil: null };
  const moved = [
    ...(await moveReplies(tx, "awaiting_approval", "cancelled", byAuthor, patch)),
    ...(await moveReplies(tx, "approved", "cancelled", and(byAuthor, eq(replies.needsReconcile, false)), patch)),
    ...(await moveReplies(tx, "failed", "cancelled", byAuthor, patch)),
  ];
  return moved.map(({ id }) => id);
}
