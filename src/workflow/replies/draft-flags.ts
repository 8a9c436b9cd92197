import { eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { posts, replies, type ReplyFlag } from "../../db/schema.js";
import { newLinksAndMentions } from "../../text/new-links.js";

/**
 * The flags a draft of the post earns: what it links to or mentions that the post did not. Model drafts get here
 * only when REPLY_ALLOW_LINKS / REPLY_ALLOW_MENTIONS let them through; an admin's edit is flagged the same way, so
 * the card always describes the text that is on it.
 */
export function draftFlags(draft: string, post: { readonly text: string; readonly authorUsername: string | null }): ReplyFlag[] {
  const found = newLinksAndMentions(draft, post);
  const flags: ReplyFlag[] = [];
  if (found.links.length > 0) flags.push("new_link");
  if (found.mentions.length > 0) flags.push("new_mention");
  return flags;
}

/** {@link draftFlags} for a draft of the post `postTweetId` ([] when the post is not found). */
export async function draftFlagsForPost(db: Database, postTweetId: string, draft: string): Promise<ReplyFlag[]> {
  const [post] = await db
    .select({ text: posts.text, authorUsername: posts.authorUsername })
    .from(posts)
    .where(eq(posts.tweetId, postTweetId));
  return post ? draftFlags(draft, post) : [];
}

/** {@link draftFlags} for a new draft of the reply `replyId` ([] when the reply is not found). */
export async function draftFlagsForReply(db: Database, replyId: number, draft: string): Promise<ReplyFlag[]> {
  const [post] = await db
    .select({ text: posts.text, authorUsername: posts.authorUsername })
    .from(replies)
    .innerJoin(posts, eq(posts.tweetId, replies.postTweetId))
    .where(eq(replies.id, replyId));
  return post ? draftFlags(draft, post) : [];
}
