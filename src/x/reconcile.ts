import type { XAccountClient, XPost } from "./types.js";

/** Options of {@link findExistingReply}. */
export interface FindExistingReplyOptions {
  /** Text we tried to post: when several replies exist, the one whose text matches is preferred. */
  text?: string;
  /** Only look at posts newer than this id (default: `inReplyToPostId`, since a reply is always newer). */
  sinceId?: string;
  /** Pages of 100 posts to read at most (default 5). */
  maxPages?: number;
  signal?: AbortSignal;
}

/** Text as X may hand it back: no leading reply @-mentions, no URLs (t.co-wrapped), entities decoded, spaces collapsed. */
export function normalizeReplyText(text: string): string {
  return text
    .replace(/^(?:\s*[@＠][A-Za-z0-9_]{1,15})+\s*/, "")
    .replace(/https?:\/\/\S+/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

/**
 * Find a post of `accountUserId` that replies to `inReplyToPostId`, by reading the account's own recent posts
 * (replies included). Call before any retry after an ambiguous outcome (`mayHaveSucceeded`) or a duplicate-content
 * rejection, so the account never replies twice. Returns the reply whose text matches `opts.text` if any, else the
 * newest reply, else undefined. Errors are `XApiError`s from the client.
 */
export async function findExistingReply(
  client: XAccountClient,
  accountUserId: string,
  inReplyToPostId: string,
  opts: FindExistingReplyOptions = {},
): Promise<XPost | undefined> {
  const page = await client.userPosts(
    accountUserId,
    {
      sinceId: opts.sinceId ?? inReplyToPostId,
      maxResults: 100,
      maxPages: opts.maxPages ?? 5,
      excludeReplies: false,
      excludeRetweets: true,
    },
    opts.signal,
  );
  const replies = page.posts.filter((p) => p.authorId === accountUserId && p.repliedToPostId === inReplyToPostId);
  if (opts.text !== undefined) {
    const wanted = normalizeReplyText(opts.text);
    const exact = replies.find((p) => normalizeReplyText(p.text) === wanted);
    if (exact) return exact;
  }
  return replies[0];
}
