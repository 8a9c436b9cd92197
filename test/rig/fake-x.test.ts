import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiRequestError, ApiResponseError } from "twitter-api-v2";
import type { TwitterApi } from "twitter-api-v2";
import {
  X_DUPLICATE_DETAIL,
  X_NOT_SUMMONED_DETAIL,
  X_REPLY_TO_DELETED_DETAIL,
  X_SUSPENDED_DETAIL,
  createTestTwitterClient,
  startFakeX,
} from "../support/fake-x/index.js";
import type { FakeX, FakeXUser } from "../support/fake-x/index.js";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

async function responseError(promise: Promise<unknown>): Promise<ApiResponseError> {
  const error = await rejection(promise);
  if (!(error instanceof ApiResponseError)) throw new Error(`expected ApiResponseError, got ${String(error)}`);
  return error;
}

describe("fake X with twitter-api-v2", () => {
  let fake: FakeX;
  let bot: FakeXUser;
  let alice: FakeXUser;
  let botClient: TwitterApi;
  let aliceClient: TwitterApi;

  beforeAll(async () => {
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    bot = fake.addUser({ username: "replyguy", name: "Reply Guy", accessToken: "bot-token" });
    alice = fake.addUser({ username: "alice", accessToken: "alice-token" });
    botClient = createTestTwitterClient(fake, "bot-token");
    aliceClient = createTestTwitterClient(fake, "alice-token");
  });

  it("identifies the caller from the OAuth 1.0a oauth_token and sends rate-limit headers", async () => {
    const me = await botClient.v2.me();
    expect(me.data).toEqual({ id: bot.id, name: "Reply Guy", username: "replyguy" });
    const [req] = fake.requests({ endpoint: "GET /2/users/me" });
    expect(req).toMatchObject({ method: "GET", path: "/2/users/me", callerUserId: bot.id, status: 200 });
    const full = await aliceClient.v2.get("users/me", undefined, { fullResponse: true });
    expect(full.rateLimit).toMatchObject({ limit: 75, remaining: 74 });
    expect(full.rateLimit?.reset).toBeGreaterThan(Date.now() / 1000);
  });

  it("answers a revoked user's token with 401 and a suspended one with 403, until access is restored", async () => {
    fake.setUserAccess(bot.id, "revoked");
    expect((await responseError(botClient.v2.me())).code).toBe(401);
    fake.setUserAccess(bot.username, "suspended");
    const suspended = await responseError(botClient.v2.me());
    expect(suspended.code).toBe(403);
    expect(suspended.data).toMatchObject({ detail: X_SUSPENDED_DETAIL });
    expect((await aliceClient.v2.me()).data.id).toBe(alice.id);
    fake.setUserAccess(bot.id, "ok");
    expect((await botClient.v2.me()).data.id).toBe(bot.id);
  });

  it("revokeAtNextPost: reads still work; the user's next POST /2/tweets is answered 401 and revokes it from then on", async () => {
    const post = fake.addTweet({ authorId: alice.id, text: "@replyguy hello" });
    let revoked = 0;
    fake.revokeAtNextPost(bot.id, () => revoked++);
    expect((await botClient.v2.me()).data.id).toBe(bot.id);
    expect((await aliceClient.v2.reply("not me", post.id)).data.id).toBeDefined();
    expect(revoked).toBe(0);
    expect((await responseError(botClient.v2.reply("too late", post.id))).code).toBe(401);
    expect(revoked).toBe(1);
    expect(fake.repliesTo(post.id).map((reply) => reply.text)).toEqual(["not me"]);
    expect((await responseError(botClient.v2.me())).code).toBe(401);
  });

  it("looks users up by username and id, with v2 not-found errors", async () => {
    expect((await botClient.v2.userByUsername("ALICE")).data.id).toBe(alice.id);
    expect((await botClient.v2.user(alice.id)).data.username).toBe("alice");
    const missing = await botClient.v2.userByUsername("nobody");
    expect(missing.data).toBeUndefined();
    expect(missing.errors?.[0]).toMatchObject({ title: "Not Found Error", resource_type: "user", value: "nobody" });
  });

  it("rejects an unknown oauth_token with 401", async () => {
    const error = await responseError(createTestTwitterClient(fake, "stolen").v2.me());
    expect(error.code).toBe(401);
    expect(error.isAuthError).toBe(true);
    expect(fake.requests()[0]?.callerUserId).toBeNull();
  });

  it("serves mentions newest first honouring since_id, expansions and pagination", async () => {
    const first = fake.addTweet({ authorId: alice.id, text: "@replyguy first" });
    fake.addTweet({ authorId: alice.id, text: "no mention here" });
    const second = fake.addTweet({ authorId: alice.id, text: "hey @ReplyGuy what do you think?" });
    const third = fake.addTweet({ authorId: alice.id, text: "@replyguy third" });

    const page = await botClient.v2.userMentionTimeline(bot.id, { since_id: first.id, expansions: ["author_id"] });
    expect(page.tweets.map((t) => t.id)).toEqual([third.id, second.id]);
    expect(page.meta).toMatchObject({ result_count: 2, newest_id: third.id, oldest_id: second.id });
    expect(page.includes.users).toEqual([{ id: alice.id, name: "alice", username: "alice" }]);
    expect(page.tweets[1]).toMatchObject({
      author_id: alice.id,
      conversation_id: second.id,
      entities: { mentions: [{ username: "replyguy", id: bot.id, start: 4, end: 13 }] },
    });

    const none = await botClient.v2.userMentionTimeline(bot.id, { since_id: third.id });
    expect(none.tweets).toEqual([]);
    expect(none.meta.result_count).toBe(0);

    for (let i = 0; i < 4; i++) fake.addTweet({ authorId: alice.id, text: `@replyguy more ${i}` });
    const paged = await botClient.v2.userMentionTimeline(bot.id, { max_results: 5 });
    expect(paged.tweets).toHaveLength(5);
    expect(paged.meta.next_token).toBeTruthy();
    await paged.fetchNext();
    expect(paged.tweets).toHaveLength(7);
    expect(paged.done).toBe(true);

    const bad = await responseError(botClient.v2.userMentionTimeline(bot.id, { max_results: 1 }));
    expect(bad.code).toBe(400);
  });

  it("serves a user timeline with exclude=replies,retweets", async () => {
    const root = fake.addTweet({ authorId: alice.id, text: "root" });
    fake.addTweet({ authorId: alice.id, text: "@alice reply to self", inReplyToTweetId: root.id });
    fake.addTweet({ authorId: alice.id, text: "RT", retweetOfTweetId: root.id });
    const all = await botClient.v2.userTimeline(alice.id);
    expect(all.tweets).toHaveLength(3);
    const own = await botClient.v2.userTimeline(alice.id, { exclude: ["replies", "retweets"] });
    expect(own.tweets.map((t) => t.text)).toEqual(["root"]);
  });

  it("searches with words, phrases, from:, -is:reply, -is:retweet and lang:", async () => {
    const hit = fake.addTweet({ authorId: alice.id, text: "I love Hello World programs" });
    fake.addTweet({ authorId: bot.id, text: "hello world from the bot" });
    fake.addTweet({ authorId: alice.id, text: "hello there world", inReplyToTweetId: hit.id });
    fake.addTweet({ authorId: alice.id, text: "world hello" });
    const result = await botClient.v2.search('"hello world" from:alice -is:retweet -is:reply lang:en');
    expect(result.tweets.map((t) => t.id)).toEqual([hit.id]);
    const words = await botClient.v2.search("hello world -is:reply");
    expect(words.tweets).toHaveLength(3);
    const error = await responseError(botClient.v2.search("a OR b"));
    expect(error.code).toBe(400);
  });

  it("looks tweets up singly and in bulk, with errors for missing ids", async () => {
    const t1 = fake.addTweet({ authorId: alice.id, text: "one" });
    const t2 = fake.addTweet({ authorId: alice.id, text: "two" });
    fake.deleteTweet(t2.id);
    const single = await botClient.v2.singleTweet(t1.id, { expansions: ["author_id"] });
    expect(single.data).toMatchObject({ id: t1.id, text: "one", author_id: alice.id });
    expect(single.includes?.users?.[0]?.username).toBe("alice");
    const gone = await botClient.v2.singleTweet(t2.id);
    expect(gone.data).toBeUndefined();
    expect(gone.errors?.[0]).toMatchObject({ resource_type: "tweet", parameter: "id", resource_id: t2.id });
    const bulk = await botClient.v2.tweets([t1.id, t2.id, "42"]);
    expect(bulk.data.map((t) => t.id)).toEqual([t1.id]);
    expect(bulk.errors?.map((e) => e.value)).toEqual([t2.id, "42"]);
  });

  it("posts tweets and replies as the caller", async () => {
    const root = fake.addTweet({ authorId: alice.id, text: "what do you think @replyguy?" });
    const posted = await botClient.v2.reply("Great question!", root.id);
    expect(posted.data.text).toBe("Great question!");
    expect(fake.repliesTo(root.id)).toEqual([
      expect.objectContaining({
        id: posted.data.id,
        author_id: bot.id,
        conversation_id: root.id,
        in_reply_to_user_id: alice.id,
        referenced_tweets: [{ type: "replied_to", id: root.id }],
      }),
    ]);
    // The reply shows up in alice's mentions (replies count as mentions on X).
    const mentions = await aliceClient.v2.userMentionTimeline(alice.id);
    expect(mentions.tweets.map((t) => t.id)).toEqual([posted.data.id]);
    const plain = await botClient.v2.tweet("standalone");
    expect(BigInt(plain.data.id)).toBeGreaterThan(BigInt(posted.data.id));
    expect(fake.requests({ method: "POST" }).map((r) => r.status)).toEqual([201, 201]);
  });

  it("rejects empty text with 400 and duplicates with the real 403 problem", async () => {
    expect((await responseError(botClient.v2.tweet(""))).code).toBe(400);
    await botClient.v2.tweet("same text");
    const error = await responseError(botClient.v2.tweet("same text"));
    expect(error.code).toBe(403);
    expect(error.data).toEqual({ title: "Forbidden", detail: X_DUPLICATE_DETAIL, type: "about:blank", status: 403 });
    // Quirk: twitter-api-v2 only puts `detail` into the message when the body has an `errors` array,
    // which X's problem responses lack; read `error.data.detail`, not `error.message`.
    expect(error.message).toBe("Request failed with code 403");
    expect(error.rateLimit).toMatchObject({ limit: 100, remaining: 97 });
    expect(error.rateLimitError).toBe(false);
    // Another author may post the same text.
    await aliceClient.v2.tweet("same text");
  });

  it("rejects replies to deleted or unknown tweets with 403", async () => {
    const root = fake.addTweet({ authorId: alice.id, text: "soon gone" });
    fake.deleteTweet(root.id);
    const deleted = await responseError(botClient.v2.reply("hi", root.id));
    expect(deleted.code).toBe(403);
    expect(deleted.data.detail).toBe(X_REPLY_TO_DELETED_DETAIL);
    expect((await responseError(botClient.v2.reply("hi", "123"))).code).toBe(403);
    expect(fake.tweets()).toHaveLength(0);
  });

  it("enforces the summoned rule when enabled", async () => {
    fake.summonedRuleEnforced = true;
    const unrelated = fake.addTweet({ authorId: alice.id, text: "nobody asked you" });
    const summoning = fake.addTweet({ authorId: alice.id, text: "@replyguy thoughts?" });
    const botPost = fake.addTweet({ authorId: bot.id, text: "a bot post" });
    const quoting = fake.addTweet({ authorId: alice.id, text: "look at this", quotedTweetId: botPost.id });
    const error = await responseError(botClient.v2.reply("unsolicited", unrelated.id));
    expect(error.code).toBe(403);
    expect(error.data).toMatchObject({ title: "Forbidden", detail: X_NOT_SUMMONED_DETAIL, status: 403 });
    await botClient.v2.reply("you asked", summoning.id);
    await botClient.v2.reply("you quoted me", quoting.id);
    await botClient.v2.reply("self thread", botPost.id);
    fake.summonedRuleEnforced = false;
    await botClient.v2.reply("unsolicited", unrelated.id);
  });

  it("exhausts a configured rate limit into a 429 with headers", async () => {
    fake.setRateLimit("GET /2/users/me", 2, 60);
    await botClient.v2.me();
    await botClient.v2.me();
    const error = await responseError(botClient.v2.me());
    expect(error.code).toBe(429);
    expect(error.rateLimitError).toBe(true);
    expect(error.data).toEqual({ title: "Too Many Requests", detail: "Too Many Requests", type: "about:blank", status: 429 });
    expect(error.rateLimit?.limit).toBe(2);
    expect(error.rateLimit?.remaining).toBe(0);
    expect(error.rateLimit?.reset).toBeGreaterThan(Date.now() / 1000);
    // Buckets are per caller.
    await aliceClient.v2.me();
  });

  it("consumes queued faults in order and only for matching requests", async () => {
    fake.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 503 }, 2);
    fake.enqueueFault({ path: "/2/users/:id/mentions" }, { kind: "rateLimited", resetInSeconds: 120 });
    expect(fake.pendingFaults()).toBe(3);
    await botClient.v2.me(); // not matched
    expect((await responseError(botClient.v2.tweet("a"))).code).toBe(503);
    expect((await responseError(botClient.v2.tweet("a"))).code).toBe(503);
    expect((await botClient.v2.tweet("a")).data.text).toBe("a");
    const limited = await responseError(botClient.v2.userMentionTimeline(bot.id));
    expect(limited.rateLimitError).toBe(true);
    expect(limited.rateLimit?.reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 119);
    expect(fake.pendingFaults()).toBe(0);
    expect(fake.tweets()).toHaveLength(1);
    expect(fake.requests({ method: "POST" }).map((r) => [r.fault, r.status])).toEqual([
      ["status", 503],
      ["status", 503],
      [null, 201],
    ]);
  });

  it("commitThenDelay + client timeout leaves exactly one tweet", async () => {
    const impatient = createTestTwitterClient(fake, "bot-token", { timeoutMs: 50 });
    fake.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDelay", ms: 150 });
    const error = await rejection(impatient.v2.tweet("held by X"));
    expect(error).toBeInstanceOf(ApiRequestError);
    // Quirk (twitter-api-v2 1.29.1): `requestError` is always undefined (the cause is stored as `_options.error`).
    expect((error as ApiRequestError).requestError as unknown).toBeUndefined();
    const cause: unknown = (Reflect.get(error as object, "_options") as { error?: unknown } | undefined)?.error;
    expect(cause).toBeInstanceOf(Error);
    expect((cause as Error).message).toBe("Request timeout.");
    expect(fake.tweets().map((t) => t.text)).toEqual(["held by X"]);
    // A retry of the same text is then a duplicate, exactly like on X.
    expect((await responseError(impatient.v2.tweet("held by X"))).data.detail).toBe(X_DUPLICATE_DETAIL);
    expect(fake.tweets()).toHaveLength(1);
  });

  it("commitThenDrop creates the tweet, drop does not", async () => {
    fake.enqueueFault({ method: "POST" }, { kind: "commitThenDrop" });
    fake.enqueueFault({ method: "POST" }, { kind: "drop" });
    expect(await rejection(botClient.v2.tweet("committed"))).toBeInstanceOf(ApiRequestError);
    expect(await rejection(botClient.v2.tweet("dropped"))).toBeInstanceOf(ApiRequestError);
    expect(fake.tweets().map((t) => t.text)).toEqual(["committed"]);
    expect(fake.requests({ method: "POST" }).map((r) => r.status)).toEqual([null, null]);
  });

  it("delay answers late; hang never answers until released", async () => {
    fake.enqueueFault({ path: /^\/2\/users\/me$/ }, { kind: "delay", ms: 30 });
    const started = Date.now();
    await botClient.v2.me();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);

    fake.enqueueFault({ method: "GET" }, { kind: "hang" });
    const pending = rejection(botClient.v2.me());
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.releaseHangs()).toBe(1);
    expect(await pending).toBeInstanceOf(ApiRequestError);
  });

  it("setDown answers every request with the given status", async () => {
    fake.setDown(503);
    const error = await responseError(botClient.v2.me());
    expect(error.code).toBe(503);
    expect(error.data).toMatchObject({ title: "Service Unavailable", status: 503 });
    fake.setDown(null);
    await botClient.v2.me();
  });

  it("skews its Date header on request", async () => {
    fake.setClockOffset(300_000);
    const skewed = Date.parse((await fetch(`${fake.baseUrl}/2/users/me`)).headers.get("date")!);
    expect(Math.round((skewed - Date.now()) / 60_000)).toBe(5);
    fake.setClockOffset(0);
    const plain = Date.parse((await fetch(`${fake.baseUrl}/2/users/me`)).headers.get("date")!);
    expect(Math.abs(plain - Date.now())).toBeLessThan(60_000);
  });
});
