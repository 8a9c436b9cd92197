/**
 * Discovery over a pool with an account out of it: only accounts in the pool read X, but a failed
 * account's posts are still ours (never answered) and a post that summoned it is still bound to it.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { posts, xAccounts } from "../../src/db/schema.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import { runDiscovery } from "../../src/workflow/discovery.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { Watchlist } from "../../src/workflow/watchlist.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const TOKENS = { main: "disc-pool-main", second: "disc-pool-second" } as const;

describe.each(databaseTargets())("discovery over the account pool on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let x: FakeX;
  let main: FakeXUser;
  let second: FakeXUser;
  let alice: FakeXUser;

  beforeAll(async () => {
    x = await startFakeX();
  });
  beforeEach(() => {
    x.reset();
    main = x.addUser({ id: "830001", username: "replyguy", accessToken: TOKENS.main });
    second = x.addUser({ id: "830002", username: "replygal", accessToken: TOKENS.second });
    alice = x.addUser({ id: "830009", username: "alice" });
  });
  afterAll(async () => {
    await x.close();
  });

  async function discoverWith(accounts: XAccounts) {
    return runDiscovery({
      db: db(),
      accounts,
      watchlist: new Watchlist(db()),
      pause: new PauseSwitch(db()),
      logger: silentLogger(),
      replyPolicy: () => "summoned",
      mentionsEnabled: true,
    });
  }

  it("a failed account reads nothing, yet its own posts are never answered and a post that summoned it stays bound to it", async () => {
    const client = (token: string) =>
      createXAccountClient({
        apiRoot: x.baseUrl,
        credentials: { appKey: "app-key", appSecret: "app-secret", accessToken: token, accessSecret: "access-secret" },
        requestTimeoutMs: 5_000,
      });
    const accounts = await XAccounts.register(
      db(),
      new Map([
        ["main", client(TOKENS.main)],
        ["second", client(TOKENS.second)],
      ]),
    );
    await discoverWith(accounts);
    const [, secondId] = accounts.all().map((account) => account.id) as [number, number];
    await accounts.setStatus(secondId, "failed", "X answered 401");
    await new Watchlist(db()).add("search", "release", 1001);
    const own = x.addTweet({ authorId: second.id, text: "release notes are out" });
    const summoning = x.addTweet({ authorId: alice.id, text: "@replygal what changed in this release?" });
    const seen = x.requests().length;

    await discoverWith(accounts);
    const calls = x.requests().slice(seen);
    expect(calls.filter((call) => call.callerUserId === second.id)).toEqual([]);
    expect(calls.filter((call) => call.path.endsWith("/mentions")).map((call) => call.callerUserId)).toEqual([main.id]);
    expect(calls.filter((call) => call.path === "/2/tweets/search/recent").map((call) => call.callerUserId)).toEqual([main.id]);
    const [ownRow] = await db().select().from(posts).where(eq(posts.tweetId, own.id));
    expect(ownRow).toBeUndefined();
    const [summoned] = await db().select().from(posts).where(eq(posts.tweetId, summoning.id));
    expect(summoned).toMatchObject({ boundAccountId: secondId, answerable: true, state: "pending_draft" });
    const [row] = await db().select().from(xAccounts).where(eq(xAccounts.id, secondId));
    expect(row?.status).toBe("failed");
  });
});
