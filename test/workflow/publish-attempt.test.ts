/**
 * One publish attempt's own choices, through the publisher against the fake X (publisher.test.ts has the main
 * paths): where a rate-limited free reply goes, who an opt-out names when the stored post lacks the author's
 * handle, when the opt-outs checked before the POST are read again, an edit that did not change the text, and a
 * summoned post that may be answered.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { optOuts, posts, xAccounts } from "../../src/db/schema.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { createPublishFixture } from "../support/publish-fixture.js";
import { OptOutCache } from "../../src/workflow/opt-out-cache.js";
import { Watchlist } from "../../src/workflow/watchlist.js";
import type { XAccountClient } from "../../src/x/types.js";

const OUR_TOKEN = "publish-attempt-token";

describe.each(databaseTargets())("one publish attempt on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let alice: FakeXUser;
  let clock: Date;

  const postRequests = () => x().requests({ method: "POST", path: "/2/tweets" });

  beforeEach(async () => {
    await db().delete(optOuts);
    x().addUser({ id: "760001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x().addUser({ id: "760002", username: "Alice" });
    clock = new Date();
  });

  const fixture = createPublishFixture({ db, x, now: () => clock, token: OUR_TOKEN });

  it("429 on a free reply: the account waits for its reset, the reply is due now for another account, its attempt counted", async () => {
    const h = await fixture.build();
    const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
    x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "rateLimited", resetInSeconds: 300 });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    const [account] = await db().select().from(xAccounts).where(eq(xAccounts.id, h.account.id));
    expect(account!.rateLimitedUntil!.getTime()).toBeGreaterThan(clock.getTime() + 200_000);
    expect(await fixture.reply(seeded.id)).toMatchObject({ status: "approved", scheduledAt: clock, needsReconcile: false, attemptCount: 1 });
  });

  it("an opt-out names the author from X when the stored post lacks the handle", async () => {
    const h = await fixture.build();
    const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);
    await db().update(posts).set({ authorUsername: null }).where(eq(posts.tweetId, post.id));
    await db().insert(optOuts).values({ username: "alice", createdBy: null });

    expect(await h.publisher.runOnce()).toMatchObject({ published: 0, failed: 0 });
    expect(await fixture.reply(seeded.id)).toMatchObject({ status: "cancelled", failureReason: "@Alice opted out" });
    expect(postRequests()).toEqual([]);
  });

  it("an opt-out of the stored handle stops the POST even when X now shows another handle", async () => {
    const h = await fixture.build();
    const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);
    await db().update(posts).set({ authorUsername: "old_alice" }).where(eq(posts.tweetId, post.id));
    await db().insert(optOuts).values({ username: "old_alice", createdBy: null });

    await h.publisher.runOnce();
    expect(await fixture.reply(seeded.id)).toMatchObject({ status: "cancelled", failureReason: "@old_alice opted out" });
    expect(postRequests()).toEqual([]);
  });

  it("each run reads the opt-outs again: one stored since the last run stops the POST though nobody announced it", async () => {
    const h = await fixture.build();
    await fixture.seedReply(h.account.id, alice);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 1 });
    // As another replica stores it when its NOTIFY is lost: only the next run's own read can see it.
    await db().insert(optOuts).values({ username: "alice", createdBy: null });
    const { reply: second } = await fixture.seedReply(h.account.id, alice);

    expect(await h.publisher.runOnce()).toMatchObject({ published: 0 });
    expect(await fixture.reply(second.id)).toMatchObject({ status: "cancelled", failureReason: "@Alice opted out" });
    expect(postRequests()).toHaveLength(1);
  });

  it("an /optout made here during a run stops a reply of the same batch already claimed: the watchlist tells the cache", async () => {
    const optOutCache = new OptOutCache(db());
    const watchlist = new Watchlist(db(), { optOutsChanged: () => optOutCache.invalidate() });
    const bob = x().addUser({ id: "760003", username: "bob" });
    // Bob's reply goes first; while X takes it, an admin opts Alice out (her reply is claimed in the same batch).
    const optOutDuringPost = (client: XAccountClient): XAccountClient => ({
      ...client,
      async postReply(...args) {
        if (postRequests().length === 0) await watchlist.optOut("alice", 1);
        return client.postReply(...args);
      },
    });
    const h = await fixture.build({ optOuts: optOutCache, wrap: optOutDuringPost });
    await fixture.seedReply(h.account.id, bob);
    const { reply: toAlice } = await fixture.seedReply(h.account.id, alice);

    expect(await h.publisher.runOnce()).toMatchObject({ published: 1 });
    expect(await fixture.reply(toAlice.id)).toMatchObject({ status: "cancelled", failureReason: "@Alice opted out", attemptCount: 1 });
    expect(postRequests()).toHaveLength(1);
  });

  it("a post edited on X without changing its text (a newer version, same words) is answered", async () => {
    const h = await fixture.build();
    const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);
    x().editTweet(post.id, post.text);

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(await fixture.reply(seeded.id)).toMatchObject({ status: "published" });
    expect(postRequests()).toHaveLength(1);
  });

  it("REPLY_POLICY=summoned with an answerable post: posted as usual", async () => {
    const h = await fixture.build({ replyPolicy: "summoned" });
    const { reply: seeded } = await fixture.seedReply(h.account.id, alice, { answerable: true });
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect((await fixture.reply(seeded.id)).status).toBe("published");
  });

  it("REPLY_POLICY=any answers a post that is not answerable", async () => {
    const h = await fixture.build({ replyPolicy: "any" });
    const { reply: seeded } = await fixture.seedReply(h.account.id, alice, { answerable: false });
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect((await fixture.reply(seeded.id)).status).toBe("published");
  });
});
