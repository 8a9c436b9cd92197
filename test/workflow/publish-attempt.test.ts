/**
 * One publish attempt's own choices, through the publisher against the fake X (publisher.test.ts has the main
 * paths): where a rate-limited free reply goes, who an opt-out names when the stored post lacks the author's
 * handle, an edit that did not change the text, and a summoned post that may be answered.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { optOuts, posts, xAccounts } from "../../src/db/schema.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { createPublishFixture } from "../support/publish-fixture.js";

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
