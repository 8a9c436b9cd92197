import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";

/** A new draft for a post, as the model wrote it. */
export interface NewDraft {
  readonly postTweetId: string;
  readonly accountId: number;
  readonly draft: string;
  readonly weightedLength: number;
  readonly tooLong: boolean;
  readonly model: string;
  readonly expiresAt: Date;
}

/**
 * The birth of a reply: inserted `awaiting_approval`. One reply per post (unique index): resolves
 * with undefined when the post already has one, so a second drafting run cannot make a second card.
 */
export async function createDraftReply(tx: Database, draft: NewDraft): Promise<number | undefined> {
  const [reply] = await tx
    .insert(replies)
    .values({ ...draft, status: "awaiting_approval" })
    .onConflictDoNothing()
    .returning({ id: replies.id });
  return reply?.id;
}
