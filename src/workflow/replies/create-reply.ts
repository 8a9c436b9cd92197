import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import { draftFlagsForPost } from "./draft-flags.js";

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
 * with undefined when the post already has one, so a second drafting run cannot make a second card. The draft's
 * flags (a link or mention its post did not have) are worked out here, so no caller can forget them.
 */
export async function createDraftReply(tx: Database, draft: NewDraft): Promise<number | undefined> {
  const flags = await draftFlagsForPost(tx, draft.postTweetId, draft.draft);
  const [reply] = await tx
    .insert(replies)
    .values({ ...draft, flags, status: "awaiting_approval" })
    .onConflictDoNothing()
    .returning({ id: replies.id });
  return reply?.id;
}
