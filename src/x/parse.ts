import { XUnexpectedResponseError } from "./errors.js";
import type { XPost, XPostVersion, XUser } from "./types.js";

/** `tweet.fields` every post read asks for. */
export const POST_FIELDS = [
  "created_at",
  "conversation_id",
  "in_reply_to_user_id",
  "referenced_tweets",
  "entities",
  "author_id",
  "note_tweet",
].join(",");
/** `expansions` every post read asks for (authors fill `authorUsername`). */
export const POST_EXPANSIONS = ["author_id", "referenced_tweets.id", "entities.mentions.username"].join(",");
/** `user.fields` of expanded users. */
export const USER_FIELDS = ["username", "name"].join(",");

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** X ids (posts, users) are decimal snowflakes: at most 19 digits, the width of a signed 64-bit integer. */
const X_ID = /^\d{1,19}$/;

/** An X id, or undefined when the value is missing or not shaped like one (it never reaches the database). */
export function xId(value: unknown): string | undefined {
  return typeof value === "string" && X_ID.test(value) ? value : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** A v2 user object, or undefined when it lacks id/username. */
export function parseUser(value: unknown): XUser | undefined {
  if (!isRecord(value)) return undefined;
  const id = xId(value.id);
  const username = str(value.username);
  if (id === undefined || username === undefined) return undefined;
  return { id, username, name: str(value.name) ?? username };
}

/** `data` of a single-user answer (`/2/users/me`, `/2/users/by/username/:u`); undefined when X sent only errors. */
export function parseUserResponse(body: unknown): XUser | undefined {
  return isRecord(body) ? parseUser(body.data) : undefined;
}

/** id → username of `includes.users`. */
function includedUsernames(body: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const includes = body.includes;
  if (!isRecord(includes)) return out;
  for (const u of list(includes.users)) {
    const user = parseUser(u);
    if (user) out.set(user.id, user.username);
  }
  return out;
}

/** A v2 tweet object as an {@link XPost}; undefined when it lacks id or text. */
export function parsePost(value: unknown, usernames: ReadonlyMap<string, string> = new Map()): XPost | undefined {
  if (!isRecord(value)) return undefined;
  const id = xId(value.id);
  const shortText = typeof value.text === "string" ? value.text : undefined;
  if (id === undefined || shortText === undefined) return undefined;
  const noteText = isRecord(value.note_tweet) ? str(value.note_tweet.text) : undefined;
  const authorId = xId(value.author_id) ?? "";
  const createdAtRaw = str(value.created_at);
  const createdAtMs = createdAtRaw === undefined ? Number.NaN : Date.parse(createdAtRaw);

  let repliedToPostId: string | undefined;
  let quotedPostId: string | undefined;
  let isRetweet = false;
  for (const ref of list(value.referenced_tweets)) {
    if (!isRecord(ref)) continue;
    const refId = xId(ref.id);
    if (ref.type === "replied_to") repliedToPostId ??= refId;
    else if (ref.type === "quoted") quotedPostId ??= refId;
    else if (ref.type === "retweeted") isRetweet = true;
  }

  const mentionedUserIds: string[] = [];
  const mentionedUsernames: string[] = [];
  const entities = value.entities;
  for (const m of isRecord(entities) ? list(entities.mentions) : []) {
    if (!isRecord(m)) continue;
    const mentionId = xId(m.id);
    const mentionName = str(m.username);
    if (mentionId !== undefined && !mentionedUserIds.includes(mentionId)) mentionedUserIds.push(mentionId);
    if (mentionName !== undefined && !mentionedUsernames.some((n) => n.toLowerCase() === mentionName.toLowerCase())) {
      mentionedUsernames.push(mentionName);
    }
  }

  return {
    id,
    text: noteText ?? shortText,
    authorId,
    authorUsername: usernames.get(authorId),
    createdAt: Number.isNaN(createdAtMs) ? undefined : new Date(createdAtMs),
    conversationId: xId(value.conversation_id),
    inReplyToUserId: xId(value.in_reply_to_user_id),
    repliedToPostId,
    quotedPostId,
    isRetweet,
    mentionedUserIds,
    mentionedUsernames,
  };
}

/** Posts of a `data` array answer (timeline, search, lookup), with authors from `includes`. */
export function parsePostList(body: unknown): XPost[] {
  if (!isRecord(body)) throw new XUnexpectedResponseError("body is not a JSON object");
  const usernames = includedUsernames(body);
  const posts: XPost[] = [];
  for (const item of list(body.data)) {
    const post = parsePost(item, usernames);
    if (post) posts.push(post);
  }
  return posts;
}

/** One timeline/search page: posts plus `meta.newest_id` and `meta.next_token`. */
export function parseTimelinePage(body: unknown): { posts: XPost[]; newestId: string | undefined; nextToken: string | undefined } {
  const posts = parsePostList(body);
  const meta = isRecord(body) ? body.meta : undefined;
  const newestId = isRecord(meta) ? xId(meta.newest_id) : undefined;
  const nextToken = isRecord(meta) ? str(meta.next_token) : undefined;
  return { posts, newestId: newestId ?? posts[0]?.id, nextToken };
}

/**
 * `GET /2/tweets/:id`: the post and its newest version (last of `edit_history_tweet_ids`), or
 * undefined when X answered only `errors` (a deleted, unknown or invisible post: X says so with a 200).
 */
export function parsePostVersion(body: unknown): XPostVersion | undefined {
  if (!isRecord(body)) throw new XUnexpectedResponseError("body is not a JSON object");
  if (body.data === undefined && Array.isArray(body.errors) && body.errors.length > 0) return undefined;
  const post = parsePost(body.data, includedUsernames(body));
  if (!post) throw new XUnexpectedResponseError("GET /2/tweets/:id answered without a valid post");
  const history = isRecord(body.data) ? list(body.data.edit_history_tweet_ids).map(xId) : [];
  return { post, latestVersionId: history.at(-1) ?? post.id };
}

/** `data` of `POST /2/tweets`. */
export function parseCreatedPost(body: unknown): { id: string; text: string } {
  const data = isRecord(body) ? body.data : undefined;
  const id = isRecord(data) ? xId(data.id) : undefined;
  if (!isRecord(data) || id === undefined) throw new XUnexpectedResponseError("POST /2/tweets answered without a valid data.id");
  return { id, text: typeof data.text === "string" ? data.text : "" };
}
