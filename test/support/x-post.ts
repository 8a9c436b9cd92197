import type { XPost } from "../../src/x/types.js";

/** A plain post as the X client returns it (no mention, reply, quote or retweet), with `fields` changed. */
export function xPost(fields: Partial<XPost> = {}): XPost {
  return {
    id: "1",
    text: "a post",
    authorId: "1",
    authorUsername: "alice",
    createdAt: undefined,
    conversationId: undefined,
    inReplyToUserId: undefined,
    repliedToPostId: undefined,
    quotedPostId: undefined,
    isRetweet: false,
    mentionedUserIds: [],
    mentionedUsernames: [],
    ...fields,
  };
}
