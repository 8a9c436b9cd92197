import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { PostSource } from "../discovery.js";
import { draftFlagsForPost } from "./draft-flags.js";

/** Claim priority of a reply by where its post was found: mentions first, then targets, then searches. */
export const REPLY_PRIORITY = { mention: 0, target: 1, search: 2 } as const satisfies Record<PostSource, number>;

/** A new draft for a post, as the model wrote it. */
export interface NewDraft {
  readonly postTweetId: string;
  /** Where the post was found (its claim priority). */
  readonly source: PostSource;
  /** The account the post summoned (only it may answer), or null: any account, chosen when it is claimed. */
  readonly boundAccountId: number | null;
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
  const { source, boundAccountId, ...rest } = draft;
  const flags = await draftFlagsForPost(tx, draft.postTweetId, draft.draft);
  const [reply] = await tx
    .insert(replies)
    .values({ ...rest, boundAccountId, accountId: boundAccountId, priority: REPLY_PRIORITY[source], flags, status: "awaiting_approval" })
    .onConflictDoNothing()
    .returning({ id: replies.id });
  return reply?.id;
}
