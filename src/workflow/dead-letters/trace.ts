import { eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";

/**
 * The trace id of a reply's lines: the id of the post it answers (a dead letter knows only its reply).
 * Undefined when the reply is gone.
 */
export async function traceOfReply(db: Database, replyId: number): Promise<string | undefined> {
  const [row] = await db.select({ postTweetId: replies.postTweetId }).from(replies).where(eq(replies.id, replyId));
  return row?.postTweetId;
}
