import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Drafter } from "../../src/ai/types.js";
import {
  discoveryCursors,
  posts,
  replies,
  workflowEvents,
  xAccounts,
} from "../../src/db/schema.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import { runDiscovery, type ReplyPolicy } from "../../src/workflow/discovery.js";
import { runDrafting } from "../../src/workflow/drafting.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { Watchlist } from "../../src/workflow/watchlist.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";

const OUR_TOKEN = "our-access-token-discovery";
const ADMIN = 1001;
const logger = silentLogger();

describe.each(databaseTargets())("discovery on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let x: FakeX;
  let us: FakeXUser;
  let alice: FakeXUser;
  let bob: FakeXUser;
  let carol: FakeXUser;

  const addUsers = () => {
    us = x.addUser({ id: "900001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x.addUser({ id: "900002", username: "alice" });
    bob = x.addUser({ id: "900003", username: "Bob" });
    carol = x.addUser({ id: "900004", username: "carol" });
  };

  beforeAll(async () => {
    x = await startFakeX();
  });
  beforeEach(() => {
    x.reset();
    addUsers();
  });
  afterAll(async () => {
    await x?.close();
  });

  /** Fresh service instances on the same database, as after a restart. */
  async function services() {
    const client = createXAccountClient({
      apiRoot: x.baseUrl,
      credentials: { appKey: "app-key", appSecret: "app-secret", accessToken: OUR_TOKEN, accessSecret: "access-secret" },
      requestTimeoutMs: 5_000,
    });
    const accounts = await XAccounts.register(db(), new Map([["main", client]]));
    return { db: db(), accounts, watchlist: new Watchlist(db()), pause: new PauseSwitch(db()) };
  }

  async function discover(policy: ReplyPolicy = "summoned", mentionsEnabled = true) {
    const s = await services();
    return runDiscovery({ ...s, logger, replyPolicy: () => policy, mentionsEnabled });
  }

  async function accountId(): Promise<number> {
    const [row] = await db().select().from(xAccounts).where(eq(xAccounts.label, "main"));
    return row!.id;
  }

  async function post(tweetId: string) {
    const [row] = await db().select().from(posts).where(eq(posts.tweetId, tweetId));
    return row;
  }

  async function allPosts() {
    return db().select().from(posts);
  }

  async function cursor(key: string): Promise<string | undefined> {
    const [row] = await db().select().from(discoveryCursors).where(eq(discoveryCursors.sourceKey, key));
    return row?.sinceId;
  }

  async function events(): Promise<{ kind: string; postTweetId: string | null }[]> {
    const rows = await db().select().from(workflowEvents);
    return rows.map((row) => ({ kind: row.kind, postTweetId: row.postTweetId })).sort((a, b) =>
      `${a.kind}${a.postTweetId}`.localeCompare(`${b.kind}${b.postTweetId}`),
    );
  }

  const mentionRequests = () => x.requests({ endpoint: "GET /2/users/:id/mentions" });
  const searchRequests = () => x.requests({ endpoint: "GET /2/tweets/search/recent" });
  const timelineRequests = () => x.requests({ endpoint: "GET /2/users/:id/tweets" });

  it("stores mentions as pending mention posts, saves the since_id cursor and reads on from it", async () => {
    const first = x.addTweet({ authorId: alice.id, text: "@replyguy what do you think about TypeScript 6?" });
    const second = x.addTweet({ authorId: bob.id, text: "hey @ReplyGuy, quick question" });

    const result = await discover();
    expect(result).toEqual({ fetched: 2, inserted: 2, queued: 2, skipped: 0 });
    const id = await accountId();
    const stored = await post(first.id);
    expect(stored).toMatchObject({
      tweetId: first.id,
      authorId: alice.id,
      authorUsername: "alice",
      text: first.text,
      source: "mention",
      sourceDetail: "@replyguy",
      accountId: id,
      boundAccountId: id,
      answerable: true,
      state: "pending_draft",
      skipReason: null,
      draftAttempts: 0,
      nextDraftAt: null,
    });
    expect(stored?.postedAt).toBeInstanceOf(Date);
    expect(await post(second.id)).toMatchObject({ state: "pending_draft", answerable: true, authorUsername: "Bob" });
    expect(await cursor(`mentions:${id}`)).toBe(second.id);
    expect(mentionRequests()).toHaveLength(1);
    expect(mentionRequests()[0]?.path).toBe(`/2/users/${us.id}/mentions`);
    expect(mentionRequests()[0]?.query.since_id).toBeUndefined();

    const again = await discover();
    expect(again).toEqual({ fetched: 0, inserted: 0, queued: 0, skipped: 0 });
    expect(mentionRequests()).toHaveLength(2);
    expect(mentionRequests()[1]?.query.since_id).toBe(second.id);
    expect(await allPosts()).toHaveLength(2);
    // Nothing new: the cursor stays where it was.
    expect(await cursor(`mentions:${id}`)).toBe(second.id);

    const third = x.addTweet({ authorId: alice.id, text: "@replyguy and another thing" });
    expect(await discover()).toEqual({ fetched: 1, inserted: 1, queued: 1, skipped: 0 });
    expect(mentionRequests()[2]?.query.since_id).toBe(second.id);
    expect(await cursor(`mentions:${id}`)).toBe(third.id);
    expect(await allPosts()).toHaveLength(3);
  });

  it("reads no mentions when mentions are disabled", async () => {
    x.addTweet({ authorId: alice.id, text: "@replyguy hello" });
    expect(await discover("summoned", false)).toEqual({ fetched: 0, inserted: 0, queued: 0, skipped: 0 });
    expect(mentionRequests()).toHaveLength(0);
    expect(await allPosts()).toHaveLength(0);
  });

  it("stores nothing twice when a restarted process re-reads the same page", async () => {
    const mention = x.addTweet({ authorId: alice.id, text: "@replyguy first" });
    const optedOut = x.addTweet({ authorId: bob.id, text: "@replyguy second" });
    await (await services()).watchlist.optOut("bob", ADMIN);
    expect(await discover()).toMatchObject({ inserted: 2 });
    const before = await events();
    expect(before).toEqual([
      { kind: "discovered", postTweetId: mention.id },
      { kind: "discovered", postTweetId: optedOut.id },
      { kind: "skipped", postTweetId: optedOut.id },
    ]);

    // A crash after storing the posts but before saving the cursor: the next process reads the page again.
    await db().delete(discoveryCursors);
    const result = await discover();
    expect(result).toEqual({ fetched: 2, inserted: 0, queued: 0, skipped: 0 });
    expect(mentionRequests()[1]?.query.since_id).toBeUndefined();
    expect(await allPosts()).toHaveLength(2);
    expect(await events()).toEqual(before);
    expect(await cursor(`mentions:${await accountId()}`)).toBe(optedOut.id);
  });

  it("stores a post found both as a mention and by a search once", async () => {
    const both = x.addTweet({ authorId: alice.id, text: "@replyguy typescript question for you" });
    const searchOnly = x.addTweet({ authorId: bob.id, text: "typescript is neat" });
    x.addTweet({ authorId: carol.id, text: "unrelated" });
    await (await services()).watchlist.add("search", "typescript", ADMIN);

    const result = await discover("any");
    // The mention comes back from the search too: three posts read, two stored.
    expect(result).toEqual({ fetched: 3, inserted: 2, queued: 2, skipped: 0 });
    expect(searchRequests()).toHaveLength(1);
    const rows = await allPosts();
    expect(rows.map((row) => row.tweetId).sort()).toEqual([both.id, searchOnly.id].sort());
    // The mention source ran first and owns the post.
    expect(await post(both.id)).toMatchObject({ source: "mention" });
    expect(await post(searchOnly.id)).toMatchObject({ source: "search" });
    expect((await events()).filter((event) => event.postTweetId === both.id)).toEqual([
      { kind: "discovered", postTweetId: both.id },
    ]);
  });

  it("skips our own posts and retweets, and stores an opted-out author's post as skipped, never drafted", async () => {
    const mention = x.addTweet({ authorId: alice.id, text: "@replyguy typescript or javascript?" });
    const retweet = x.addTweet({ authorId: carol.id, text: `RT @alice: ${mention.text}`, retweetOfTweetId: mention.id });
    const own = x.addTweet({ authorId: us.id, text: "typescript tip of the day" });
    const ownReply = x.addTweet({ authorId: us.id, text: "@alice typescript, always", inReplyToTweetId: mention.id });
    const optedOut = x.addTweet({ authorId: bob.id, text: "@replyguy typescript rules" });
    const s = await services();
    await s.watchlist.add("search", "typescript", ADMIN);
    await s.watchlist.optOut("@BOB", ADMIN);

    await discover("any");
    expect(searchRequests()).toHaveLength(1);
    const rows = await allPosts();
    const ids = rows.map((row) => row.tweetId);
    expect(ids).not.toContain(own.id);
    expect(ids).not.toContain(ownReply.id);
    expect(await post(mention.id)).toMatchObject({ state: "pending_draft", skipReason: null });
    expect(await post(retweet.id)).toMatchObject({ state: "skipped", skipReason: "retweet" });
    expect(await post(optedOut.id)).toMatchObject({ state: "skipped", skipReason: "opted_out" });

    // Drafting picks up only the pending post: the opted-out author's post and the retweet are never drafted.
    const drafted: string[] = [];
    const drafter: Drafter = {
      draft: (forDraft) => {
        drafted.push(forDraft.text);
        return Promise.resolve({ text: "sure", weightedLength: 4, tooLong: false, model: "stub", shortenAttempts: 0 });
      },
      gate: () => Promise.reject(new Error("gate must not be called")),
    };
    await runDrafting({
      db: db(),
      drafter,
      settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      watchlist: s.watchlist,
      pause: s.pause,
      logger,
      draftTtlHours: 24,
    });
    expect(drafted).toEqual([mention.text]);
    const replyRows = await db().select().from(replies);
    expect(replyRows.map((row) => row.postTweetId)).toEqual([mention.id]);
    expect(await post(optedOut.id)).toMatchObject({ state: "skipped", skipReason: "opted_out" });
  });

  it("reads target accounts without replies and retweets and applies the summoned policy", async () => {
    const plain = x.addTweet({ authorId: carol.id, text: "shipping a new release today" });
    const summoning = x.addTweet({ authorId: carol.id, text: "what does @ReplyGuy think of this release?" });
    const reply = x.addTweet({ authorId: carol.id, text: "thanks!", inReplyToTweetId: plain.id });
    const retweet = x.addTweet({ authorId: carol.id, text: `RT @carol: ${plain.text}`, retweetOfTweetId: plain.id });
    await (await services()).watchlist.add("target", "@Carol", ADMIN);

    const result = await discover("summoned", false);
    expect(result).toEqual({ fetched: 2, inserted: 2, queued: 1, skipped: 1 });
    expect(timelineRequests()).toHaveLength(1);
    expect(timelineRequests()[0]?.path).toBe(`/2/users/${carol.id}/tweets`);
    expect(timelineRequests()[0]?.query.exclude).toBe("replies,retweets");
    expect(await post(plain.id)).toMatchObject({
      source: "target",
      sourceDetail: "@Carol",
      answerable: false,
      state: "skipped",
      skipReason: "not_summoned",
    });
    expect(await post(summoning.id)).toMatchObject({ source: "target", answerable: true, state: "pending_draft" });
    expect(await post(reply.id)).toBeUndefined();
    expect(await post(retweet.id)).toBeUndefined();
    expect(await cursor("target:carol")).toBe(summoning.id);

    const later = x.addTweet({ authorId: carol.id, text: "another day, another release" });
    await discover("summoned", false);
    expect(timelineRequests()[1]?.query.since_id).toBe(summoning.id);
    expect(await post(later.id)).toMatchObject({ state: "skipped", skipReason: "not_summoned" });
  });

  it("marks every target post answerable under the any policy", async () => {
    const plain = x.addTweet({ authorId: carol.id, text: "shipping a new release today" });
    await (await services()).watchlist.add("target", "carol", ADMIN);
    await discover("any", false);
    // It summoned no account: any account may answer it, chosen when its reply is claimed.
    expect(await post(plain.id)).toMatchObject({ answerable: true, state: "pending_draft", skipReason: null, boundAccountId: null });
  });

  it("counts a quote of one of our posts as summoned", async () => {
    const ours = x.addTweet({ authorId: us.id, text: "our original take on releases" });
    const theirs = x.addTweet({ authorId: alice.id, text: "alice's take on releases" });
    const quotesUs = x.addTweet({ authorId: carol.id, text: "this is so right", quotedTweetId: ours.id });
    const quotesAlice = x.addTweet({ authorId: carol.id, text: "this is so wrong", quotedTweetId: theirs.id });
    await (await services()).watchlist.add("target", "carol", ADMIN);

    await discover("summoned", false);
    expect(await post(quotesUs.id)).toMatchObject({ answerable: true, state: "pending_draft", skipReason: null, boundAccountId: await accountId() });
    expect(await post(quotesAlice.id)).toMatchObject({ answerable: false, state: "skipped", skipReason: "not_summoned" });
  });

  it("appends -is:retweet to searches and saves a cursor per search", async () => {
    const hit = x.addTweet({ authorId: alice.id, text: "learning typescript this week" });
    x.addTweet({ authorId: bob.id, text: `RT @alice: ${hit.text}`, retweetOfTweetId: hit.id });
    const s = await services();
    await s.watchlist.add("search", "typescript", ADMIN);
    const [search] = await s.watchlist.list("search");

    const result = await discover("any", false);
    expect(result).toEqual({ fetched: 1, inserted: 1, queued: 1, skipped: 0 });
    expect(searchRequests()[0]?.query.query).toBe("typescript -is:retweet");
    expect(await post(hit.id)).toMatchObject({ source: "search", sourceDetail: "typescript", state: "pending_draft" });
    expect(await cursor(`search:${search!.id}`)).toBe(hit.id);
  });

  it("skips off-topic target and search posts when topics are set, but never mentions", async () => {
    const mention = x.addTweet({ authorId: alice.id, text: "@replyguy good morning" });
    const searchOn = x.addTweet({ authorId: alice.id, text: "typescript and Rust together" });
    const searchOff = x.addTweet({ authorId: bob.id, text: "typescript only" });
    const targetOn = x.addTweet({ authorId: carol.id, text: "rust 2.0 is out" });
    const targetOff = x.addTweet({ authorId: carol.id, text: "nothing relevant here, trust me" });
    const s = await services();
    await s.watchlist.add("search", "typescript", ADMIN);
    await s.watchlist.add("target", "carol", ADMIN);
    await s.watchlist.add("topic", "rust", ADMIN);

    await discover("any");
    expect(await post(mention.id)).toMatchObject({ source: "mention", state: "pending_draft" });
    expect(await post(searchOn.id)).toMatchObject({ source: "search", state: "pending_draft" });
    expect(await post(searchOff.id)).toMatchObject({ source: "search", state: "skipped", skipReason: "off_topic" });
    expect(await post(targetOn.id)).toMatchObject({ source: "target", state: "pending_draft" });
    expect(await post(targetOff.id)).toMatchObject({ source: "target", state: "skipped", skipReason: "off_topic" });
  });

  it("lets every post through when no topics are set", async () => {
    const searchPost = x.addTweet({ authorId: bob.id, text: "typescript only" });
    const targetPost = x.addTweet({ authorId: carol.id, text: "nothing relevant here" });
    const s = await services();
    await s.watchlist.add("search", "typescript", ADMIN);
    await s.watchlist.add("target", "carol", ADMIN);

    await discover("any");
    expect(await post(searchPost.id)).toMatchObject({ state: "pending_draft" });
    expect(await post(targetPost.id)).toMatchObject({ state: "pending_draft" });
  });

  it("sends nothing to X while paused", async () => {
    x.addTweet({ authorId: alice.id, text: "@replyguy hello" });
    x.addTweet({ authorId: carol.id, text: "typescript news" });
    const s = await services();
    await s.watchlist.add("search", "typescript", ADMIN);
    await s.watchlist.add("target", "carol", ADMIN);
    await s.pause.pause(ADMIN);

    expect(await discover("any")).toEqual({ fetched: 0, inserted: 0, queued: 0, skipped: 0 });
    expect(x.requests()).toHaveLength(0);
    expect(await allPosts()).toHaveLength(0);

    await s.pause.resume(ADMIN);
    expect(await discover("any")).toMatchObject({ inserted: 2 });
  });

  it("keeps going when one source fails, leaving that source's cursor where it was", async () => {
    const oldMention = x.addTweet({ authorId: alice.id, text: "@replyguy first" });
    const oldSearch = x.addTweet({ authorId: bob.id, text: "typescript first" });
    const s = await services();
    await s.watchlist.add("search", "typescript", ADMIN);
    const [search] = await s.watchlist.list("search");
    await discover("any");
    const mentionsKey = `mentions:${await accountId()}`;
    const searchKey = `search:${search!.id}`;
    expect(await cursor(mentionsKey)).toBe(oldMention.id);
    expect(await cursor(searchKey)).toBe(oldSearch.id);

    const newMention = x.addTweet({ authorId: alice.id, text: "@replyguy second" });
    const newSearch = x.addTweet({ authorId: bob.id, text: "typescript second" });
    x.enqueueFault({ method: "GET", path: "/2/users/:id/mentions" }, { kind: "status", status: 503 });
    const result = await discover("any");
    expect(result).toEqual({ fetched: 1, inserted: 1, queued: 1, skipped: 0 });
    expect(mentionRequests().at(-1)?.status).toBe(503);
    expect(await post(newMention.id)).toBeUndefined();
    expect(await post(newSearch.id)).toMatchObject({ state: "pending_draft" });
    expect(await cursor(mentionsKey)).toBe(oldMention.id);
    expect(await cursor(searchKey)).toBe(newSearch.id);

    // X answers again: the failed source catches up from its old cursor.
    await discover("any");
    expect(mentionRequests().at(-1)?.query.since_id).toBe(oldMention.id);
    expect(await post(newMention.id)).toMatchObject({ state: "pending_draft" });
    expect(await cursor(mentionsKey)).toBe(newMention.id);
  });

  it("survives X being down entirely, with every cursor unchanged", async () => {
    const mention = x.addTweet({ authorId: alice.id, text: "@replyguy first" });
    const s = await services();
    await s.watchlist.add("search", "typescript", ADMIN);
    await s.watchlist.add("target", "carol", ADMIN);
    await discover("any");
    const cursorsBefore = await db().select().from(discoveryCursors);

    x.addTweet({ authorId: alice.id, text: "@replyguy second" });
    x.addTweet({ authorId: carol.id, text: "typescript news" });
    x.setDown(503);
    expect(await discover("any")).toEqual({ fetched: 0, inserted: 0, queued: 0, skipped: 0 });
    expect(x.requests({ endpoint: "GET /2/users/:id/mentions" }).at(-1)?.status).toBe(503);
    expect(x.requests({ endpoint: "GET /2/users/by/username/:username" }).at(-1)?.status).toBe(503);
    expect(searchRequests().at(-1)?.status).toBe(503);
    expect(await db().select().from(discoveryCursors)).toEqual(cursorsBefore);
    expect((await allPosts()).map((row) => row.tweetId)).toEqual([mention.id]);

    x.setDown(null);
    expect(await discover("any")).toMatchObject({ inserted: 2 });
  });

  it("survives X being down before the account's identity is known", async () => {
    x.addTweet({ authorId: alice.id, text: "@replyguy hello" });
    x.setDown(503);
    expect(await discover()).toEqual({ fetched: 0, inserted: 0, queued: 0, skipped: 0 });
    expect(x.requests({ endpoint: "GET /2/users/me" })).toHaveLength(1);
    x.setDown(null);
    expect(await discover()).toMatchObject({ inserted: 1 });
  });

  it("records a discovered event per stored post and a skipped event per skipped one", async () => {
    const pending = x.addTweet({ authorId: alice.id, text: "@replyguy hi" });
    const notSummoned = x.addTweet({ authorId: carol.id, text: "plain post" });
    const summoned = x.addTweet({ authorId: carol.id, text: "@replyguy plain post" });
    await (await services()).watchlist.add("target", "carol", ADMIN);

    await discover("summoned");
    expect(await events()).toEqual(
      [
        { kind: "discovered", postTweetId: pending.id },
        { kind: "discovered", postTweetId: notSummoned.id },
        { kind: "discovered", postTweetId: summoned.id },
        { kind: "skipped", postTweetId: notSummoned.id },
      ].sort((a, b) => `${a.kind}${a.postTweetId}`.localeCompare(`${b.kind}${b.postTweetId}`)),
    );
  });
});
