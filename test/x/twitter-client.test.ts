import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { XApiError } from "../../src/x/errors.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient } from "../../src/x/types.js";
import { startFakeX } from "../support/fake-x/index.js";
import type { FakeX, FakeXUser } from "../support/fake-x/index.js";
import { rejectionOf, xClientFor } from "./x-test-client.js";

describe("createXAccountClient against the fake X", () => {
  let fake: FakeX;
  let bot: FakeXUser;
  let alice: FakeXUser;
  let bob: FakeXUser;
  let client: XAccountClient;

  beforeAll(async () => {
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    bot = fake.addUser({ username: "replyguy", name: "Reply Guy", accessToken: "bot-token" });
    alice = fake.addUser({ username: "alice", name: "Alice A.", accessToken: "alice-token" });
    bob = fake.addUser({ username: "bob" });
    client = xClientFor(fake, "bot-token");
  });

  it("me() returns the authenticated account and records its rate limit", async () => {
    expect(await client.me()).toEqual({ id: bot.id, username: "replyguy", name: "Reply Guy" });
    const limit = client.rateLimits().get("GET /2/users/me");
    expect(limit).toMatchObject({ limit: 75, remaining: 74 });
    expect(limit?.resetAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("userByUsername resolves handles case-insensitively and answers undefined for unknown or invalid ones", async () => {
    expect(await client.userByUsername("@ALICE")).toEqual({ id: alice.id, username: "alice", name: "Alice A." });
    expect(await client.userByUsername("nobody")).toBeUndefined();
    const before = fake.requests().length;
    expect(await client.userByUsername("not a handle!")).toBeUndefined();
    expect(fake.requests()).toHaveLength(before);
  });

  it("mentions map every field, expand authors and honour since_id", async () => {
    const botPost = fake.addTweet({ authorId: bot.id, text: "a bot post" });
    const plain = fake.addTweet({ authorId: alice.id, text: "@replyguy hello @bob and @ghost", createdAt: "2026-03-01T10:00:00.000Z" });
    const reply = fake.addTweet({ authorId: alice.id, text: "@replyguy agreed", inReplyToTweetId: botPost.id });
    const quote = fake.addTweet({ authorId: bob.id, text: "look @replyguy", quotedTweetId: botPost.id });

    const page = await client.mentions(bot.id, {});
    expect(page.newestId).toBe(quote.id);
    expect(page.posts.map((p) => p.id)).toEqual([quote.id, reply.id, plain.id]);
    expect(page.posts[2]).toEqual({
      id: plain.id,
      text: "@replyguy hello @bob and @ghost",
      authorId: alice.id,
      authorUsername: "alice",
      createdAt: new Date("2026-03-01T10:00:00.000Z"),
      conversationId: plain.id,
      inReplyToUserId: undefined,
      repliedToPostId: undefined,
      quotedPostId: undefined,
      isRetweet: false,
      mentionedUserIds: [bot.id, bob.id],
      mentionedUsernames: ["replyguy", "bob"],
    });
    expect(page.posts[1]).toMatchObject({
      repliedToPostId: botPost.id,
      inReplyToUserId: bot.id,
      conversationId: botPost.id,
      quotedPostId: undefined,
    });
    expect(page.posts[0]).toMatchObject({ quotedPostId: quote.referenced_tweets?.[0]?.id, authorUsername: "bob" });

    const [request] = fake.requests({ endpoint: "GET /2/users/:id/mentions" });
    expect(request?.query).toMatchObject({
      max_results: "20",
      expansions: "author_id,referenced_tweets.id,entities.mentions.username",
      "user.fields": "username,name",
    });
    expect(request?.query["tweet.fields"]?.split(",")).toEqual(
      expect.arrayContaining(["created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets", "entities", "author_id"]),
    );

    const newer = fake.addTweet({ authorId: bob.id, text: "@replyguy newer" });
    const next = await client.mentions(bot.id, { sinceId: page.newestId });
    expect(next.posts.map((p) => p.id)).toEqual([newer.id]);
    expect(next.newestId).toBe(newer.id);
    expect(fake.requests({ endpoint: "GET /2/users/:id/mentions" }).at(-1)?.query.since_id).toBe(quote.id);

    const none = await client.mentions(bot.id, { sinceId: newer.id });
    expect(none).toEqual({ posts: [], newestId: undefined });
  });

  it("first run takes only the maxResults newest; with sinceId it follows up to 5 pages", async () => {
    const first = fake.addTweet({ authorId: alice.id, text: "@replyguy 0" });
    const ids = [first.id];
    for (let i = 1; i <= 30; i++) ids.push(fake.addTweet({ authorId: alice.id, text: `@replyguy ${i}` }).id);
    const newestFirst = [...ids].reverse();

    const firstRun = await client.mentions(bot.id, { maxResults: 3 });
    expect(firstRun.posts.map((p) => p.id)).toEqual(newestFirst.slice(0, 3));
    expect(firstRun.newestId).toBe(newestFirst[0]);
    expect(fake.requests({ endpoint: "GET /2/users/:id/mentions" })).toHaveLength(1);
    expect(fake.requests({ endpoint: "GET /2/users/:id/mentions" })[0]?.query.max_results).toBe("5");

    fake.reset();
    bot = fake.addUser({ username: "replyguy", accessToken: "bot-token" });
    alice = fake.addUser({ username: "alice" });
    const since = fake.addTweet({ authorId: alice.id, text: "@replyguy seen" });
    const burst: string[] = [];
    for (let i = 0; i < 12; i++) burst.push(fake.addTweet({ authorId: alice.id, text: `@replyguy burst ${i}` }).id);
    const caughtUp = await client.mentions(bot.id, { sinceId: since.id, maxResults: 5 });
    expect(caughtUp.posts.map((p) => p.id)).toEqual([...burst].reverse());
    expect(caughtUp.newestId).toBe(burst.at(-1));
    const requests = fake.requests({ endpoint: "GET /2/users/:id/mentions" });
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.query.since_id === since.id)).toBe(true);
    expect(requests[1]?.query.pagination_token).toBeTruthy();

    const capped = await client.mentions(bot.id, { sinceId: since.id, maxResults: 5, maxPages: 2 });
    expect(capped.posts).toHaveLength(10);
  });

  it("userPosts excludes replies and retweets on request and maps retweets", async () => {
    const root = fake.addTweet({ authorId: alice.id, text: "root" });
    const selfReply = fake.addTweet({ authorId: alice.id, text: "@alice more", inReplyToTweetId: root.id });
    const retweet = fake.addTweet({ authorId: alice.id, text: "RT @alice: root", retweetOfTweetId: root.id });

    const all = await client.userPosts(alice.id, {});
    expect(all.posts.map((p) => p.id)).toEqual([retweet.id, selfReply.id, root.id]);
    expect(all.posts[0]).toMatchObject({ isRetweet: true, repliedToPostId: undefined });
    expect(all.posts[1]).toMatchObject({ isRetweet: false, repliedToPostId: root.id });
    expect(fake.requests({ endpoint: "GET /2/users/:id/tweets" })[0]?.query.exclude).toBeUndefined();

    const own = await client.userPosts(alice.id, { excludeReplies: true, excludeRetweets: true });
    expect(own.posts.map((p) => p.id)).toEqual([root.id]);
    expect(fake.requests({ endpoint: "GET /2/users/:id/tweets" })[1]?.query.exclude).toBe("replies,retweets");
    const noReplies = await client.userPosts(alice.id, { excludeReplies: true });
    expect(noReplies.posts.map((p) => p.id)).toEqual([retweet.id, root.id]);
  });

  it("searchRecent passes the query, clamps max_results and caps the first run", async () => {
    for (let i = 0; i < 4; i++) fake.addTweet({ authorId: alice.id, text: `typescript tip ${i}` });
    fake.addTweet({ authorId: bob.id, text: "typescript from bob" });
    fake.addTweet({ authorId: alice.id, text: "unrelated" });
    const page = await client.searchRecent("typescript from:alice -is:retweet", { maxResults: 3 });
    expect(page.posts.map((p) => p.text)).toEqual(["typescript tip 3", "typescript tip 2", "typescript tip 1"]);
    expect(page.posts.every((p) => p.authorUsername === "alice")).toBe(true);
    const [request] = fake.requests({ endpoint: "GET /2/tweets/search/recent" });
    expect(request?.query).toMatchObject({ query: "typescript from:alice -is:retweet", max_results: "10" });
  });

  it("lookupPosts returns the live posts and silently drops deleted, unknown and invalid ids", async () => {
    const one = fake.addTweet({ authorId: alice.id, text: "one" });
    const gone = fake.addTweet({ authorId: alice.id, text: "gone" });
    fake.deleteTweet(gone.id);
    const posts = await client.lookupPosts([one.id, gone.id, "42", "not-an-id", one.id]);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ id: one.id, text: "one", authorId: alice.id, authorUsername: "alice" });
    expect(fake.requests({ endpoint: "GET /2/tweets" })[0]?.query.ids).toBe(`${one.id},${gone.id},42`);

    const before = fake.requests().length;
    expect(await client.lookupPosts([])).toEqual([]);
    expect(fake.requests()).toHaveLength(before);
  });

  it("getPost reads one post with its newest version; deleted (errors[] or 404) and invalid ids are undefined", async () => {
    const post = fake.addTweet({ authorId: alice.id, text: "first words" });
    expect(await client.getPost(post.id)).toMatchObject({ post: { id: post.id, text: "first words", authorUsername: "alice" }, latestVersionId: post.id });
    expect(fake.requests({ endpoint: "GET /2/tweets/:id" })[0]?.query["tweet.fields"]).toContain("edit_history_tweet_ids");

    const edited = fake.editTweet(post.id, "second words");
    expect(await client.getPost(post.id)).toMatchObject({ post: { text: "first words" }, latestVersionId: edited.id });
    expect(await client.getPost(edited.id)).toMatchObject({ post: { text: "second words" }, latestVersionId: edited.id });

    fake.deleteTweet(edited.id);
    expect(await client.getPost(edited.id)).toBeUndefined();
    fake.enqueueFault({ method: "GET", path: `/2/tweets/${post.id}` }, { kind: "status", status: 404 });
    expect(await client.getPost(post.id)).toBeUndefined();
    const before = fake.requests().length;
    expect(await client.getPost("not-an-id")).toBeUndefined();
    expect(fake.requests()).toHaveLength(before);
  });

  it("postReply posts a reply as the account and records the POST rate limit", async () => {
    const root = fake.addTweet({ authorId: alice.id, text: "@replyguy what do you think?" });
    const posted = await client.postReply("Great question!", root.id);
    expect(posted.text).toBe("Great question!");
    expect(fake.repliesTo(root.id)).toEqual([expect.objectContaining({ id: posted.id, author_id: bot.id })]);
    expect(client.rateLimits().get("POST /2/tweets")).toMatchObject({ limit: 100, remaining: 99 });
    expect(fake.requests({ method: "POST" })[0]?.body).toEqual({
      text: "Great question!",
      reply: { in_reply_to_tweet_id: root.id },
    });
  });

  it("accepts an API root with a trailing /2/ and rejects a non-http root", async () => {
    const slashed = createXAccountClient({
      apiRoot: `${fake.baseUrl}/2/`,
      credentials: { appKey: "k", appSecret: "s", accessToken: "bot-token", accessSecret: "a" },
    });
    expect((await slashed.me()).id).toBe(bot.id);
    expect(() =>
      createXAccountClient({ apiRoot: "ftp://x", credentials: { appKey: "k", appSecret: "s", accessToken: "t", accessSecret: "a" } }),
    ).toThrow(/http/);
  });

  describe("AbortSignal", () => {
    it("aborts an in-flight POST as aborted with mayHaveSucceeded true", async () => {
      fake.enqueueFault({ method: "POST" }, { kind: "hang" });
      const root = fake.addTweet({ authorId: alice.id, text: "@replyguy hi" });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      const started = Date.now();
      const error = await rejectionOf(client.postReply("hello", root.id, controller.signal));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(error).toBeInstanceOf(XApiError);
      expect(error).toMatchObject({ kind: "transient", reason: "aborted", mayHaveSucceeded: true, status: undefined });
      // The socket was really closed (the fake saw the client go away), not merely abandoned until the timeout.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(fake.releaseHangs()).toBe(0);
    });

    it("aborts a GET as aborted with mayHaveSucceeded false", async () => {
      fake.enqueueFault({ method: "GET" }, { kind: "hang" });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("shutting down")), 20);
      const error = await rejectionOf(client.mentions(bot.id, {}, controller.signal));
      expect(error).toMatchObject({ reason: "aborted", mayHaveSucceeded: false });
    });

    it("does not send anything when the signal is already aborted", async () => {
      const root = fake.addTweet({ authorId: alice.id, text: "@replyguy hi" });
      const error = await rejectionOf(client.postReply("hello", root.id, AbortSignal.abort()));
      expect(error).toMatchObject({ reason: "aborted", mayHaveSucceeded: false });
      expect(fake.requests({ method: "POST" })).toHaveLength(0);
    });
  });
});
