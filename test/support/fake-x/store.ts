// The fake's users, tweets and media, and how a stored tweet is shown in the v2 JSON shape.
import { MediaStore } from "./media.js";
import type { FakeXMention, FakeXReferencedTweet, FakeXTweet, FakeXUserAccess } from "./types.js";

/** A user as stored. */
export interface StoredUser {
  id: string;
  username: string;
  name: string;
  accessToken?: string;
  /** `revoked`: its token answers 401; `suspended`: 403 (default: ok). */
  access?: FakeXUserAccess;
}

/** A tweet as stored (deleted tweets stay, flagged). */
export interface StoredTweet {
  id: string;
  text: string;
  authorId: string;
  createdAt: string;
  conversationId: string;
  inReplyToUserId?: string;
  refs: FakeXReferencedTweet[];
  deleted: boolean;
  /** Every version's id, oldest first, shared by all versions of an edited tweet (unset: never edited). */
  editHistory?: string[];
  /** Media keys attached when it was posted. */
  mediaKeys?: string[];
}

const MENTION_RE = /(^|[^A-Za-z0-9_])[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@])/g;

/** What {@link FakeXStore.seedTweet} takes. */
export interface SeedTweetInput {
  authorId: string;
  text: string;
  inReplyToTweetId?: string;
  quotedTweetId?: string;
  retweetOfTweetId?: string;
  createdAt?: string | Date;
}

/** Numeric order of two snowflake ids. */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The @-mentions in `text` (UTF-16 index, length including the `@`). */
export function extractMentions(text: string): { username: string; index: number; length: number }[] {
  const out: { username: string; index: number; length: number }[] = [];
  for (const m of text.matchAll(MENTION_RE)) {
    const prefix = m[1] ?? "";
    const username = m[2] ?? "";
    out.push({ username, index: (m.index ?? 0) + prefix.length, length: username.length + 1 });
  }
  return out;
}

function codePointLength(s: string): number {
  return Array.from(s).length;
}

/** Users and tweets, with the id counters that keep increasing across `clear()`. */
export class FakeXStore {
  readonly users = new Map<string, StoredUser>();
  readonly tweets = new Map<string, StoredTweet>();
  readonly media = new MediaStore();
  private nextTweetId = 1_900_000_000_000_000_000n;
  private nextUserId = 1_000_000_001n;

  /** A fresh user id. */
  newUserId(): string {
    return String(this.nextUserId++);
  }

  /** Adds a user after checking its username, id and token are valid and free. */
  addUser(input: { id?: string; username: string; name?: string; accessToken?: string }): StoredUser {
    const username = input.username.replace(/^@/, "");
    if (!/^[A-Za-z0-9_]{1,15}$/.test(username)) throw new Error(`fake-x: invalid username ${JSON.stringify(input.username)}`);
    if (this.findUser(username)) throw new Error(`fake-x: username @${username} already exists`);
    const id = input.id ?? this.newUserId();
    if (this.users.has(id)) throw new Error(`fake-x: user id ${id} already exists`);
    if (input.accessToken !== undefined && this.userByToken(input.accessToken)) {
      throw new Error("fake-x: access token already in use");
    }
    const user: StoredUser = { id, username, name: input.name ?? username };
    if (input.accessToken !== undefined) user.accessToken = input.accessToken;
    this.users.set(id, user);
    return user;
  }

  /** A user by id or (case-insensitive, optional `@`) username. */
  findUser(idOrUsername: string): StoredUser | undefined {
    return this.users.get(idOrUsername) ?? this.findUserByUsername(idOrUsername);
  }

  /** A user by (case-insensitive, optional `@`) username. */
  findUserByUsername(username: string): StoredUser | undefined {
    const lower = username.replace(/^@/, "").toLowerCase();
    for (const u of this.users.values()) if (u.username.toLowerCase() === lower) return u;
    return undefined;
  }

  /** The user an access token authenticates, if any. */
  userByToken(token: string): StoredUser | undefined {
    return [...this.users.values()].find((u) => u.accessToken === token);
  }

  /** A tweet that exists and is not deleted. */
  liveTweet(id: string): StoredTweet | undefined {
    const t = this.tweets.get(id);
    return t && !t.deleted ? t : undefined;
  }

  /** Every tweet not deleted. */
  liveTweets(): StoredTweet[] {
    return [...this.tweets.values()].filter((t) => !t.deleted);
  }

  /** Stores a new tweet; a reply joins its parent's conversation. */
  createTweet(
    authorId: string,
    text: string,
    opts: { inReplyTo?: string; quoted?: string; retweeted?: string; createdAt?: string; mediaKeys?: string[] },
  ): StoredTweet {
    const id = String(this.nextTweetId++);
    const refs: FakeXReferencedTweet[] = [];
    let conversationId = id;
    let inReplyToUserId: string | undefined;
    if (opts.inReplyTo !== undefined) {
      const parent = this.tweets.get(opts.inReplyTo);
      refs.push({ type: "replied_to", id: opts.inReplyTo });
      if (parent) {
        conversationId = parent.conversationId;
        inReplyToUserId = parent.authorId;
      }
    }
    if (opts.quoted !== undefined) refs.push({ type: "quoted", id: opts.quoted });
    if (opts.retweeted !== undefined) refs.push({ type: "retweeted", id: opts.retweeted });
    const tweet: StoredTweet = {
      id,
      text,
      authorId,
      createdAt: opts.createdAt ?? new Date().toISOString(),
      conversationId,
      refs,
      deleted: false,
    };
    if (inReplyToUserId !== undefined) tweet.inReplyToUserId = inReplyToUserId;
    if (opts.mediaKeys?.length) tweet.mediaKeys = [...opts.mediaKeys];
    this.tweets.set(id, tweet);
    return tweet;
  }

  /** Stores a tweet as if its author had posted it (no rule checks), after checking author and references exist. */
  seedTweet(input: SeedTweetInput): StoredTweet {
    if (!this.users.has(input.authorId)) throw new Error(`fake-x: unknown author ${input.authorId}`);
    for (const ref of [input.inReplyToTweetId, input.quotedTweetId, input.retweetOfTweetId]) {
      if (ref !== undefined && !this.tweets.has(ref)) throw new Error(`fake-x: unknown referenced tweet ${ref}`);
    }
    const createdAt = input.createdAt === undefined ? new Date().toISOString() : new Date(input.createdAt).toISOString();
    return this.createTweet(input.authorId, input.text, {
      inReplyTo: input.inReplyToTweetId,
      quoted: input.quotedTweetId,
      retweeted: input.retweetOfTweetId,
      createdAt,
    });
  }

  /** A new version of `original` with `text`; both versions share the edit history. */
  editTweet(original: StoredTweet, text: string): StoredTweet {
    const history = original.editHistory ?? [original.id];
    const version: StoredTweet = { ...original, id: String(this.nextTweetId++), text, createdAt: new Date().toISOString() };
    history.push(version.id);
    original.editHistory = history;
    version.editHistory = history;
    this.tweets.set(version.id, version);
    return version;
  }

  /** Mention entities for the known users @-mentioned in `text` (code-point offsets). */
  mentionEntities(text: string): FakeXMention[] {
    const out: FakeXMention[] = [];
    for (const m of extractMentions(text)) {
      const user = this.findUser(m.username);
      if (!user) continue;
      const start = codePointLength(text.slice(0, m.index));
      out.push({ username: user.username, id: user.id, start, end: start + m.length });
    }
    return out;
  }

  /** A stored tweet in the v2 JSON shape. */
  serialize(t: StoredTweet): FakeXTweet {
    const out: FakeXTweet = {
      id: t.id,
      text: t.text,
      author_id: t.authorId,
      created_at: t.createdAt,
      conversation_id: t.conversationId,
      edit_history_tweet_ids: t.editHistory ? [...t.editHistory] : [t.id],
    };
    if (t.inReplyToUserId !== undefined) out.in_reply_to_user_id = t.inReplyToUserId;
    if (t.refs.length) out.referenced_tweets = t.refs.map((r) => ({ ...r }));
    const mentions = this.mentionEntities(t.text);
    if (mentions.length) out.entities = { mentions };
    if (t.mediaKeys) out.attachments = { media_keys: [...t.mediaKeys] };
    return out;
  }

  /** Add `includes` for `expansions` (author_id, in_reply_to_user_id, entities.mentions.username, referenced_tweets.id[.author_id]). */
  withIncludes(out: Record<string, unknown>, tweets: StoredTweet[], query: Record<string, string>): Record<string, unknown> {
    const expansions = new Set((query.expansions ?? "").split(",").map((s) => s.trim()).filter(Boolean));
    if (!expansions.size || !tweets.length) return out;
    const users = new Map<string, StoredUser>();
    const addUser = (id: string | undefined): void => {
      const u = id === undefined ? undefined : this.users.get(id);
      if (u) users.set(u.id, u);
    };
    const refTweets = new Map<string, StoredTweet>();
    for (const t of tweets) {
      if (expansions.has("author_id")) addUser(t.authorId);
      if (expansions.has("in_reply_to_user_id")) addUser(t.inReplyToUserId);
      if (expansions.has("entities.mentions.username")) for (const m of this.mentionEntities(t.text)) addUser(m.id);
      if (expansions.has("referenced_tweets.id") || expansions.has("referenced_tweets.id.author_id")) {
        for (const r of t.refs) {
          const rt = this.liveTweet(r.id);
          if (!rt) continue;
          if (expansions.has("referenced_tweets.id")) refTweets.set(rt.id, rt);
          if (expansions.has("referenced_tweets.id.author_id")) addUser(rt.authorId);
        }
      }
    }
    const includes: Record<string, unknown> = {};
    if (users.size) includes.users = [...users.values()].map(publicUser);
    if (refTweets.size) includes.tweets = [...refTweets.values()].map((t) => this.serialize(t));
    return Object.keys(includes).length ? { ...out, includes } : out;
  }

  /** Forgets users, tweets and media (ids keep increasing). */
  clear(): void {
    this.users.clear();
    this.tweets.clear();
    this.media.clear();
  }
}

/** A user as the API shows it. */
export function publicUser(u: StoredUser): { id: string; name: string; username: string } {
  return { id: u.id, name: u.name, username: u.username };
}

/** True when `t`'s text @-mentions `user`. */
export function mentions(t: StoredTweet, user: StoredUser): boolean {
  const lower = user.username.toLowerCase();
  return extractMentions(t.text).some((m) => m.username.toLowerCase() === lower);
}
