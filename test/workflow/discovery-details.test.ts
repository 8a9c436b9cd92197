/**
 * Discovery's details: what counts as summoning an account (X's 2026 reply rule), an account X cannot resolve or
 * one out of the pool never asked about a post, how free posts are spread over the pool, posts stored oldest first,
 * the quoted post looked up once and a lookup that finds nothing, and the log lines: each post's with its id as the
 * trace, a warning for a source that failed and none for a source with nothing new.
 */
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { posts, workflowEvents, xAccounts } from "../../src/db/schema.js";
import type { Logger } from "../../src/logger.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import { isSummoned, runDiscovery, type ReplyPolicy } from "../../src/workflow/discovery.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { Watchlist } from "../../src/workflow/watchlist.js";
import { fakeXClient } from "../support/account-pool-fixture.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";
import { xPost } from "../support/x-post.js";

const TOKENS = { main: "disc-details-main", second: "disc-details-second" } as const;
const ADMIN = 1001;

describe("whether a post summons an account", () => {
  const account = { userId: "42", username: "replyguy" };

  it.each([
    ["a mention X gave the id of", xPost({ mentionedUserIds: ["42"] }), undefined, true],
    ["a mention by handle alone, in another case", xPost({ mentionedUsernames: ["ReplyGuy"] }), undefined, true],
    ["a reply to the account", xPost({ inReplyToUserId: "42" }), undefined, true],
    ["a quote of the account's post", xPost({ quotedPostId: "9" }), "42", true],
    ["a mention of someone else", xPost({ mentionedUserIds: ["43"], mentionedUsernames: ["replyguy2"] }), undefined, false],
    ["a reply to someone else quoting someone else", xPost({ inReplyToUserId: "43", quotedPostId: "9" }), "43", false],
  ])("%s", (_what, candidate, quotedAuthorId, expected) => {
    expect(isSummoned(candidate, account, quotedAuthorId)).toBe(expected);
  });
});

describe.each(databaseTargets())("discovery's details on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let x: FakeX;
  let alice: FakeXUser;
  let accounts: XAccounts;
  let ids: { main: number; second: number };

  beforeAll(async () => {
    x = await startFakeX();
  });
  beforeEach(async () => {
    x.reset();
    x.addUser({ id: "840001", username: "replyguy", accessToken: TOKENS.main });
    x.addUser({ id: "840002", username: "replygal", accessToken: TOKENS.second });
    alice = x.addUser({ id: "840009", username: "alice" });
    x.addUser({ id: "840010", username: "bob" });
    accounts = await XAccounts.register(
      db(),
      new Map([
        ["main", fakeXClient(x, TOKENS.main)],
        ["second", fakeXClient(x, TOKENS.second)],
      ]),
    );
    const [main, second] = accounts.all();
    ids = { main: main!.id, second: second!.id };
  });
  afterAll(async () => {
    await x?.close();
  });

  function discover(options: { policy?: ReplyPolicy; logger?: Logger } = {}) {
    return runDiscovery({
      db: db(),
      accounts,
      watchlist: new Watchlist(db()),
      pause: new PauseSwitch(db()),
      logger: options.logger ?? silentLogger(),
      replyPolicy: () => options.policy ?? "summoned",
      mentionsEnabled: true,
    });
  }

  async function stored(tweetId: string) {
    const [row] = await db().select().from(posts).where(eq(posts.tweetId, tweetId));
    return row;
  }

  const search = (value: string) => new Watchlist(db()).add("search", value, ADMIN);

  it("an account X cannot resolve is skipped with a warning; the other reads, and a post summoning neither is stored", async () => {
    x.setUserAccess("replygal", "revoked");
    await search("release");
    const post = x.addTweet({ authorId: alice.id, text: "@bob the release is out" });
    const { logger, lines } = capturingLogger();
    await discover({ logger });
    expect(await stored(post.id)).toMatchObject({ state: "skipped", skipReason: "not_summoned", accountId: ids.main });
    const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ msg: "cannot resolve the X account; skipping it this run", account: "second", err: expect.anything() })]);
  });

  it("an account out of the pool with half an identity stored is not asked about a post", async () => {
    await db().update(xAccounts).set({ status: "failed", xUserId: "840002", username: null }).where(eq(xAccounts.id, ids.second));
    await search("release");
    const post = x.addTweet({ authorId: alice.id, text: "@bob the release is out" });
    await discover();
    expect(await stored(post.id)).toMatchObject({ state: "skipped", skipReason: "not_summoned", accountId: ids.main });
  });

  it("spreads free posts over the accounts in the pool by post id, and never to one out of it", async () => {
    await search("release");
    const found = [x.addTweet({ authorId: alice.id, text: "release one" }), x.addTweet({ authorId: alice.id, text: "release two" })];
    await discover({ policy: "any" });
    const pool = [ids.main, ids.second];
    for (const post of found) expect(await stored(post.id)).toMatchObject({ accountId: pool[Number(BigInt(post.id) % 2n)], boundAccountId: null });

    await accounts.setStatus(ids.second, "failed", "X answered 401");
    const later = [x.addTweet({ authorId: alice.id, text: "release three" }), x.addTweet({ authorId: alice.id, text: "release four" })];
    await discover({ policy: "any" });
    for (const post of later) expect(await stored(post.id)).toMatchObject({ accountId: ids.main });
  });

  it("stores a page's posts oldest first, so the oldest is drafted first", async () => {
    await search("release");
    const older = x.addTweet({ authorId: alice.id, text: "release older" });
    const newer = x.addTweet({ authorId: alice.id, text: "release newer" });
    await discover({ policy: "any" });
    const discovered = await db().select().from(workflowEvents).where(eq(workflowEvents.kind, "discovered")).orderBy(asc(workflowEvents.id));
    expect(discovered.map((event) => event.postTweetId)).toEqual([older.id, newer.id]);
  });

  it("looks a quoted post up once per run, and a quote whose post X no longer has or cannot find summons no one", async () => {
    const ours = x.addTweet({ authorId: "840001", text: "our take" });
    const quotes = [x.addTweet({ authorId: alice.id, text: "so right", quotedTweetId: ours.id }), x.addTweet({ authorId: alice.id, text: "so true", quotedTweetId: ours.id })];
    const gone = x.addTweet({ authorId: "840001", text: "deleted take" });
    const quotesGone = x.addTweet({ authorId: alice.id, text: "so gone", quotedTweetId: gone.id });
    x.deleteTweet(gone.id);
    await new Watchlist(db()).add("target", "alice", ADMIN);
    await discover();
    expect(x.requests({ endpoint: "GET /2/tweets" }).map((request) => request.query.ids)).toEqual([ours.id, gone.id]);
    for (const quote of quotes) expect(await stored(quote.id)).toMatchObject({ state: "pending_draft", boundAccountId: ids.main });
    expect(await stored(quotesGone.id)).toMatchObject({ state: "skipped", skipReason: "not_summoned" });

    const quoteFailed = x.addTweet({ authorId: alice.id, text: "so late", quotedTweetId: ours.id });
    x.enqueueFault({ method: "GET", path: "/2/tweets" }, { kind: "status", status: 503 });
    await discover();
    expect(await stored(quoteFailed.id)).toMatchObject({ state: "skipped", skipReason: "not_summoned" });
  });

  it("logs each stored post with its id as the trace, warns of a failed source by its key, and says nothing of sources with nothing new", async () => {
    await search("release");
    const [release] = await new Watchlist(db()).list("search");
    await new Watchlist(db()).add("target", "nobody_here", ADMIN);
    const queued = x.addTweet({ authorId: alice.id, text: "@replyguy the release is out" });
    const skipped = x.addTweet({ authorId: alice.id, text: "release notes" });
    const { logger, lines } = capturingLogger();
    const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    await discover({ logger });
    const about = (tweetId: string) => logged().filter((line) => line.trace === tweetId);
    expect(about(queued.id)).toEqual([expect.objectContaining({ msg: "post discovered", source: "mention", account: "main" })]);
    expect(about(skipped.id)).toEqual([expect.objectContaining({ msg: "post discovered; skipped", source: "search", skipReason: "not_summoned" })]);
    expect(logged().filter((line) => line.level === 40)).toEqual([]);

    // Nothing new anywhere, then the search fails.
    await discover({ logger });
    expect(logged().filter((line) => line.level === 40)).toEqual([]);
    x.enqueueFault({ method: "GET", path: "/2/tweets/search/recent" }, { kind: "status", status: 503 });
    await discover({ logger });
    expect(logged().filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({ msg: "discovery source failed; will retry next run", source: `search:${release!.id}`, err: expect.anything() }),
    ]);
  });

  it("with every account out of the pool, reads no source and warns of nothing", async () => {
    await accounts.setStatus(ids.main, "failed", "X answered 401");
    await accounts.setStatus(ids.second, "failed", "X answered 401");
    await search("release");
    await new Watchlist(db()).add("target", "alice", ADMIN);
    const seen = x.requests().length;
    const { logger, lines } = capturingLogger();
    expect(await discover({ logger })).toEqual({ fetched: 0, inserted: 0, queued: 0, skipped: 0 });
    expect(x.requests().slice(seen)).toEqual([]);
    expect(lines.filter((line) => line.includes('"level":40'))).toEqual([]);
  });
});
