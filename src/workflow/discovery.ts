import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { discoveryCursors, posts } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { XPage, XPost } from "../x/types.js";
import type { XAccount, XAccounts } from "./accounts.js";
import type { PauseSwitch } from "./pause.js";
import type { SkipReason } from "./skip-reasons.js";
import { recordEvent } from "./stats.js";
import { topicMatcher, type Watchlist } from "./watchlist.js";

/** Where a post was found. */
export type PostSource = "mention" | "target" | "search";

/** Which posts the bot may answer: only where the author engaged the account first, or any. */
export type ReplyPolicy = "summoned" | "any";

/** What discovery needs. */
export interface DiscoveryDeps {
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly watchlist: Watchlist;
  readonly pause: PauseSwitch;
  readonly logger: Logger;
  readonly replyPolicy: () => ReplyPolicy;
  readonly mentionsEnabled: boolean;
}

/** Counts of one discovery run. */
export interface DiscoveryResult {
  fetched: number;
  inserted: number;
  queued: number;
  skipped: number;
}

/** Whether the post's author mentioned or quoted the replying account (X's 2026 reply rule). */
export function isSummoned(post: XPost, account: { userId: string; username: string }, quotedAuthorId?: string): boolean {
  if (post.mentionedUserIds.includes(account.userId)) return true;
  if (post.mentionedUsernames.some((name) => name.toLowerCase() === account.username.toLowerCase())) return true;
  if (post.inReplyToUserId === account.userId) return true;
  return quotedAuthorId === account.userId;
}

async function cursorOf(db: Database, key: string): Promise<string | undefined> {
  const [row] = await db.select().from(discoveryCursors).where(eq(discoveryCursors.sourceKey, key));
  return row?.sinceId;
}

async function saveCursor(db: Database, key: string, sinceId: string): Promise<void> {
  await db
    .insert(discoveryCursors)
    .values({ sourceKey: key, sinceId })
    .onConflictDoUpdate({ target: discoveryCursors.sourceKey, set: { sinceId, updatedAt: sql`now()` } });
}

/**
 * One discovery pass: mentions of every account first, then target accounts and keyword searches.
 * Each source has its own `since_id` cursor, advanced only after its posts are stored; a post is
 * stored once (its id is the primary key), so a crash between the two only re-reads a page.
 */
export async function runDiscovery(deps: DiscoveryDeps): Promise<DiscoveryResult> {
  const result: DiscoveryResult = { fetched: 0, inserted: 0, queued: 0, skipped: 0 };
  if (await deps.pause.isPaused()) return result;
  const identities = new Map<number, { userId: string; username: string }>();
  // Only active accounts read X; a failed or disabled one keeps its stored identity, so its posts stay "ours"
  // and a post that summoned it stays bound to it.
  const readers = new Set<number>();
  const rows = new Map((await deps.accounts.rows()).map((row) => [row.id, row]));
  for (const account of deps.accounts.all()) {
    const row = rows.get(account.id);
    if (row?.status !== "active") {
      if (row?.xUserId && row.username) identities.set(account.id, { userId: row.xUserId, username: row.username });
      continue;
    }
    try {
      identities.set(account.id, await deps.accounts.identity(account));
      readers.add(account.id);
    } catch (error) {
      deps.logger.warn({ err: error, account: account.label }, "cannot resolve the X account; skipping it this run");
    }
  }
  const ours = new Set([...identities.values()].map((identity) => identity.userId));
  const topics = (await deps.watchlist.list("topic")).map((item) => item.value);
  const onTopic = topicMatcher(topics);
  const policy = deps.replyPolicy();

  /**
   * The account that answers a post: one the author summoned (mentioned, replied to, quoted) if
   * any, even out of the pool (X lets only it answer: the reply waits for it); otherwise replies are
   * spread over the accounts in the pool by post id.
   */
  const answeringAccount = async (post: XPost, via: XAccount) => {
    const quotedAuthorId = post.quotedPostId ? await quotedAuthor(via, post.quotedPostId, ours) : undefined;
    const usable = deps.accounts.all().filter((account) => identities.has(account.id));
    const summoned = usable.find((account) => isSummoned(post, identities.get(account.id)!, quotedAuthorId));
    if (summoned) return { account: summoned, summoned: true };
    const pool = usable.filter((account) => readers.has(account.id));
    return { account: pool[Number(BigInt(post.id) % BigInt(pool.length))] ?? via, summoned: false };
  };

  const store = async (via: XAccount, source: PostSource, detail: string, page: XPage) => {
    result.fetched += page.posts.length;
    for (const post of [...page.posts].reverse()) {
      if (ours.has(post.authorId)) continue;
      const { account, summoned } = await answeringAccount(post, via);
      const skipReason = await skipReasonFor(post, source, summoned);
      const inserted = await deps.db
        .insert(posts)
        .values({
          tweetId: post.id,
          authorId: post.authorId,
          authorUsername: post.authorUsername ?? null,
          text: post.text,
          postedAt: post.createdAt ?? null,
          source,
          sourceDetail: detail,
          accountId: account.id,
          boundAccountId: summoned ? account.id : null,
          answerable: policy === "any" || summoned,
          state: skipReason ? "skipped" : "pending_draft",
          skipReason: skipReason ?? null,
        })
        .onConflictDoNothing()
        .returning({ tweetId: posts.tweetId });
      if (inserted.length === 0) continue;
      result.inserted++;
      await recordEvent(deps.db, { kind: "discovered", postTweetId: post.id });
      deps.logger.info({ trace: post.id, source, account: account.label, skipReason }, skipReason ? "post discovered; skipped" : "post discovered");
      if (skipReason) {
        result.skipped++;
        await recordEvent(deps.db, { kind: "skipped", postTweetId: post.id });
      } else {
        result.queued++;
      }
    }
  };

  const skipReasonFor = async (post: XPost, source: PostSource, summoned: boolean): Promise<SkipReason | undefined> => {
    if (post.isRetweet) return "retweet";
    if (post.authorUsername && (await deps.watchlist.isOptedOut(post.authorUsername))) return "opted_out";
    if (policy === "summoned" && !summoned) return "not_summoned";
    // Mentions are people talking to us: the topic filter only narrows targets and searches.
    if (source !== "mention" && !onTopic(post.text)) return "off_topic";
    return undefined;
  };

  const quotedAuthorCache = new Map<string, string | undefined>();
  const quotedAuthor = async (account: XAccount, quotedId: string, ourIds: Set<string>) => {
    if (!quotedAuthorCache.has(quotedId)) {
      const [quoted] = await account.client.lookupPosts([quotedId]).catch(() => []);
      quotedAuthorCache.set(quotedId, quoted && ourIds.has(quoted.authorId) ? quoted.authorId : undefined);
    }
    return quotedAuthorCache.get(quotedId);
  };

  const poll = async (account: XAccount, key: string, source: PostSource, detail: string, fetch: (sinceId?: string) => Promise<XPage>) => {
    try {
      const sinceId = await cursorOf(deps.db, key);
      const page = await fetch(sinceId);
      await store(account, source, detail, page);
      if (page.newestId) await saveCursor(deps.db, key, page.newestId);
    } catch (error) {
      deps.logger.warn({ err: error, source: key }, "discovery source failed; will retry next run");
    }
  };

  if (deps.mentionsEnabled) {
    for (const account of deps.accounts.all()) {
      const identity = identities.get(account.id);
      if (!identity || !readers.has(account.id)) continue;
      await poll(account, `mentions:${account.id}`, "mention", `@${identity.username}`, (sinceId) =>
        account.client.mentions(identity.userId, { sinceId }),
      );
    }
  }

  // Targets and searches are read once, through the first account that may read.
  const reader = deps.accounts.all().find((account) => readers.has(account.id));
  if (reader) {
    for (const target of await deps.watchlist.list("target")) {
      await poll(reader, `target:${target.value.toLowerCase()}`, "target", `@${target.value}`, async (sinceId) => {
        const user = await reader.client.userByUsername(target.value);
        if (!user) return { posts: [], newestId: undefined };
        return reader.client.userPosts(user.id, { sinceId, excludeReplies: true, excludeRetweets: true });
      });
    }
    for (const search of await deps.watchlist.list("search")) {
      await poll(reader, `search:${search.id}`, "search", search.value, (sinceId) =>
        reader.client.searchRecent(`${search.value} -is:retweet`, { sinceId }),
      );
    }
  }
  return result;
}
