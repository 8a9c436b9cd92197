// GET /2/tweets/:id, GET /2/tweets?ids=, POST /2/tweets (with X's reply rules) and DELETE /2/tweets/:id.
import { mediaKeysFor } from "./media-endpoints.js";
import { invalidRequest, notFoundAnswer, notFoundError, problem, type FakeResponse } from "./responses.js";
import { mentions, type FakeXStore, type StoredTweet, type StoredUser } from "./store.js";
import { X_DUPLICATE_DETAIL, X_NOT_SUMMONED_DETAIL, X_REPLY_TO_DELETED_DETAIL } from "./types.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** GET /2/tweets/:id. */
export function tweetById(store: FakeXStore, id: string, query: Record<string, string>): FakeResponse {
  const t = store.liveTweet(id);
  if (!t) return notFoundAnswer("tweet", "id", id);
  return { status: 200, body: store.withIncludes({ data: store.serialize(t) }, [t], query) };
}

/** GET /2/tweets?ids=… (up to 100; unknown ids become errors beside the data). */
export function tweetsByIds(store: FakeXStore, query: Record<string, string>): FakeResponse {
  const ids = (query.ids ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (!ids.length) return invalidRequest("ids", "", "The `ids` query parameter can not be empty");
  if (ids.length > 100) return invalidRequest("ids", query.ids ?? "", "The `ids` query parameter can hold at most 100 ids");
  const found: StoredTweet[] = [];
  const errors: Record<string, string>[] = [];
  for (const id of ids) {
    const t = store.liveTweet(id);
    if (t) found.push(t);
    else errors.push(notFoundError("tweet", "ids", id));
  }
  const out: Record<string, unknown> = {};
  if (found.length) out.data = found.map((t) => store.serialize(t));
  if (errors.length) out.errors = errors;
  return { status: 200, body: store.withIncludes(out, found, query) };
}

const TCO_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A t.co link as X appends for media (10 random characters). */
function tcoLink(): string {
  let slug = "";
  for (let i = 0; i < 10; i++) slug += TCO_ALPHABET[Math.floor(Math.random() * TCO_ALPHABET.length)];
  return `https://t.co/${slug}`;
}

/** Whether the author of `parent` "engaged" `caller`: own post, @-mention, quote of or reply to a caller post. */
function summoned(store: FakeXStore, parent: StoredTweet, caller: StoredUser): boolean {
  if (parent.authorId === caller.id) return true;
  if (mentions(parent, caller)) return true;
  if (parent.inReplyToUserId === caller.id) return true;
  return parent.refs.some((r) => r.type === "quoted" && store.tweets.get(r.id)?.authorId === caller.id);
}

/** POST /2/tweets: validation, deleted parent, the summoned rule (when enforced) and duplicate content. */
export function postTweet(store: FakeXStore, body: unknown, caller: StoredUser, summonedRuleEnforced: boolean): FakeResponse {
  if (!isRecord(body)) return invalidRequest("body", "", "Request body must be a JSON object");
  const text = body.text;
  if (typeof text !== "string" || text.trim() === "") {
    return invalidRequest("text", typeof text === "string" ? text : "", "$.text: Tweet text must not be empty");
  }
  let inReplyTo: string | undefined;
  if (body.reply !== undefined) {
    if (!isRecord(body.reply) || typeof body.reply.in_reply_to_tweet_id !== "string") {
      return invalidRequest("reply.in_reply_to_tweet_id", "", "$.reply.in_reply_to_tweet_id: is missing but it is required");
    }
    inReplyTo = body.reply.in_reply_to_tweet_id;
  }
  let quoted: string | undefined;
  if (body.quote_tweet_id !== undefined) {
    if (typeof body.quote_tweet_id !== "string") {
      return invalidRequest("quote_tweet_id", JSON.stringify(body.quote_tweet_id), "$.quote_tweet_id: must be a string");
    }
    quoted = body.quote_tweet_id;
    if (!store.liveTweet(quoted)) return problem(403, "Forbidden", "You attempted to quote a Tweet that is deleted or not visible to you.");
  }
  if (inReplyTo !== undefined) {
    const parent = store.liveTweet(inReplyTo);
    if (!parent) return problem(403, "Forbidden", X_REPLY_TO_DELETED_DETAIL);
    if (summonedRuleEnforced && !summoned(store, parent, caller)) {
      return problem(403, "Forbidden", X_NOT_SUMMONED_DETAIL);
    }
  }
  let mediaKeys: string[] | undefined;
  if (body.media !== undefined) {
    const keys = mediaKeysFor(store.media, body.media, caller);
    if (!Array.isArray(keys)) return keys;
    mediaKeys = keys;
  }
  if (store.liveTweets().some((t) => t.authorId === caller.id && t.text === text)) {
    return problem(403, "Forbidden", X_DUPLICATE_DETAIL);
  }
  // X shows attached media as a t.co link at the end of the text.
  const shown = mediaKeys ? `${text} ${tcoLink()}` : text;
  const t = store.createTweet(caller.id, shown, { inReplyTo, quoted, mediaKeys });
  return { status: 201, body: { data: { id: t.id, text: t.text, edit_history_tweet_ids: [t.id] } } };
}

/** DELETE /2/tweets/:id (only the author may). */
export function deleteTweet(store: FakeXStore, id: string, caller: StoredUser): FakeResponse {
  const t = store.liveTweet(id);
  if (!t) return problem(404, "Not Found Error", `Could not find tweet with id: [${id}].`);
  if (t.authorId !== caller.id) return problem(403, "Forbidden", "You are not allowed to delete this Tweet.");
  t.deleted = true;
  return { status: 200, body: { data: { deleted: true } } };
}
