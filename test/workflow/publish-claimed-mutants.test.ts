/**
 * One publish attempt's less travelled paths (publish/publish-claimed.ts), through the publisher against the fake X:
 * a resting circuit breaker is not a rejected account, a duplicate whose check failed says so, and a gap reserved by
 * a claim that posted nothing is given back, a permanent refusal of the POST fails only that reply, a reconcile
 * takes our reply with the draft's words over a newer one, and an unedited post is read once. The main paths are in
 * publisher.test.ts and publish-attempt.test.ts.
 */
import { BrokenCircuitError } from "cockatiel";
import { asc, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { deadLetters, optOuts, posts, publishAttempts, replies, xAccounts } from "../../src/db/schema.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { afterFirstClaim, failingAfterClaim } from "../support/around-prepared.js";
import { failingBuilder } from "../support/failing-builder.js";
import { createPublishFixture } from "../support/publish-fixture.js";

const OUR_TOKEN = "publish-claimed-mutants-token";
const DLQ = { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 3 };

/** `real` whose first `update` after a publish run's first claim (the attachment's lease extension) throws. */
function failingFirstUpdateAfterClaim(real: Database): Database {
  const leaseExtension = failingBuilder(
    afterFirstClaim(real, () => leaseExtension.fail()),
    "update",
    () => new Error("connection terminated while extending the lease"),
  );
  return leaseExtension.db;
}

describe.each(databaseTargets())("publish attempt paths on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let us: FakeXUser;
  let alice: FakeXUser;
  let clock: Date;

  const postRequests = () => x().requests({ method: "POST", path: "/2/tweets" });
  const accountRow = async (id: number) => {
    const [row] = await db().select().from(xAccounts).where(eq(xAccounts.id, id));
    return row!;
  };

  beforeEach(() => {
    us = x().addUser({ id: "770001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x().addUser({ id: "770002", username: "alice" });
    clock = new Date();
  });

  const fixture = createPublishFixture({ db, x, now: () => clock, token: OUR_TOKEN });

  it("an open circuit breaker at the read: the reply goes back uncounted, the account stays active, its other reply waits", async () => {
    let reads = 0;
    const h = await fixture.build({
      wrap: (client) => ({
        ...client,
        getPost: () => {
          reads++;
          return Promise.reject(new BrokenCircuitError());
        },
      }),
    });
    await h.accounts.identity(h.account);
    const first = await fixture.seedReply(h.account.id, alice);
    const second = await fixture.seedReply(h.account.id, alice);

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    expect(reads).toBe(1);
    const row = await fixture.reply(first.reply.id);
    expect(row).toMatchObject({ status: "approved", attemptCount: 0, needsReconcile: false, scheduledAt: clock });
    expect(row.failureReason).toMatch(/circuit breaker open.*nothing was sent/);
    expect(await accountRow(h.account.id)).toMatchObject({ status: "active", failureReason: null });
    expect(await fixture.reply(second.reply.id)).toMatchObject({ status: "approved", attemptCount: 0 });
    expect(postRequests()).toEqual([]);
  });

  it("403 duplicate content whose check fails: the reason says both, and the retry looks first", async () => {
    const h = await fixture.build();
    const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
    x().addTweet({ authorId: us.id, text: seeded.draft });
    await h.accounts.identity(h.account);
    x().enqueueFault({ method: "GET", path: "/2/users/:id/tweets" }, { kind: "status", status: 503 });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    const row = await fixture.reply(seeded.id);
    expect(row).toMatchObject({ status: "approved", needsReconcile: true, leaseUntil: null });
    expect(row.failureReason).toMatch(/^X refused it as duplicate content, and checking X failed: .*503/);
  });

  it("a claim whose reserved gap saw no POST (deleted post) gives it back: the next reply goes in the same run", async () => {
    const h = await fixture.build({ settings: { gapSeconds: { min: 60, max: 60 } } });
    const deleted = await fixture.seedReply(h.account.id, alice);
    const answered = await fixture.seedReply(h.account.id, alice);
    x().deleteTweet(deleted.post.id);

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 1, retrying: 0 });
    expect((await fixture.reply(deleted.reply.id)).status).toBe("failed");
    expect((await fixture.reply(answered.reply.id)).status).toBe("published");
    expect(postRequests()).toHaveLength(1);
    // The gap runs from the one POST that went out.
    expect((await accountRow(h.account.id)).nextPostAt).toEqual(new Date(clock.getTime() + 60_000));
  });

  it("each reply failed before or at the POST is dead-lettered with its error type, not retryable", async () => {
    const h = await fixture.buildWithQueue(DLQ, { replyPolicy: "summoned" });
    const unanswerable = await fixture.seedReply(h.account.id, alice, { answerable: false });
    const deleted = await fixture.seedReply(h.account.id, alice);
    const duplicate = await fixture.seedReply(h.account.id, alice);
    x().deleteTweet(deleted.post.id);
    x().addTweet({ authorId: us.id, text: duplicate.reply.draft });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 3, retrying: 0 });
    const entries = await db().select().from(deadLetters);
    const byReply = new Map(entries.map((entry) => [entry.replyId, entry]));
    expect(entries).toHaveLength(3);
    expect(byReply.get(unanswerable.reply.id)).toMatchObject({ errorType: "not_answerable", retryable: false, status: "exhausted" });
    expect(byReply.get(deleted.reply.id)).toMatchObject({ errorType: "deleted_post", retryable: false, status: "exhausted" });
    expect(byReply.get(duplicate.reply.id)).toMatchObject({ errorType: "duplicate_content", retryable: false, status: "exhausted" });
  });

  it("a post edited on X with new words since the draft: back to review with the new text, nothing posted", async () => {
    const h = await fixture.build();
    const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);
    x().editTweet(post.id, `${post.text} (edited)`);

    expect(await h.publisher.runOnce()).toMatchObject({ published: 0, failed: 0 });
    const row = await fixture.reply(seeded.id);
    expect(row.status).toBe("awaiting_approval");
    expect(row.failureReason).toMatch(/edited on X after this draft/);
    const [stored] = await db().select().from(posts).where(eq(posts.tweetId, post.id));
    expect(stored!.text).toBe(`${post.text} (edited)`);
    expect(postRequests()).toEqual([]);
  });

  it("the database fails before the POST: the account stops for the run, the rest of its batch goes back unattempted", async () => {
    const h = await fixture.build({ db: failingAfterClaim(db(), 0) });
    await h.accounts.identity(h.account);
    const first = await fixture.seedReply(h.account.id, alice);
    const second = await fixture.seedReply(h.account.id, alice);

    await h.publisher.runOnce();
    expect(postRequests()).toEqual([]);
    const firstRow = await fixture.reply(first.reply.id);
    expect(firstRow).toMatchObject({ status: "approved", needsReconcile: false, scheduledAt: clock });
    expect(firstRow.failureReason).toMatch(/^nothing was posted: the database failed before the POST \(.*opt-out check/);
    const secondRow = await fixture.reply(second.reply.id);
    expect(secondRow).toMatchObject({ status: "approved", attemptCount: 0 });
    expect(secondRow.failureReason).toMatch(/^handed back unattempted/);
  });

  it("a retry or a reconciled duplicate leaves the account posting: the rest of its batch goes out in the same run", async () => {
    const h = await fixture.build();
    await h.accounts.identity(h.account);
    const retried = await fixture.seedReply(h.account.id, alice, { decidedAt: new Date(clock.getTime() - 300_000) });
    const duplicate = await fixture.seedReply(h.account.id, alice, { decidedAt: new Date(clock.getTime() - 200_000) });
    const plain = await fixture.seedReply(h.account.id, alice, { decidedAt: new Date(clock.getTime() - 100_000) });
    const earlier = x().addTweet({ authorId: us.id, text: duplicate.reply.draft, inReplyToTweetId: duplicate.post.id });
    x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 503 });

    expect(await h.publisher.runOnce()).toEqual({ published: 2, failed: 0, retrying: 1 });
    expect(postRequests().map((request) => request.status)).toEqual([503, 403, 201]);
    expect(await fixture.reply(retried.reply.id)).toMatchObject({ status: "approved", needsReconcile: true });
    expect(await fixture.reply(duplicate.reply.id)).toMatchObject({ status: "published", replyTweetId: earlier.id });
    expect((await fixture.reply(plain.reply.id)).status).toBe("published");
  });

  it("X refuses the POST for good (not summoned): that reply fails and is dead-lettered, the account posts the next one", async () => {
    const h = await fixture.buildWithQueue(DLQ);
    await h.accounts.identity(h.account);
    const refused = await fixture.seedReply(h.account.id, alice, { decidedAt: new Date(clock.getTime() - 200_000) });
    const next = await fixture.seedReply(h.account.id, alice, { decidedAt: new Date(clock.getTime() - 100_000) });
    x().enqueueFault(
      { method: "POST", path: "/2/tweets" },
      {
        kind: "status",
        status: 403,
        body: { title: "Forbidden", detail: "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.", type: "about:blank", status: 403 },
      },
    );

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 1, retrying: 0 });
    const row = await fixture.reply(refused.reply.id);
    expect(row).toMatchObject({ status: "failed", leaseUntil: null });
    expect(row.failureReason).toMatch(/not allowed because you have not been mentioned/);
    const entries = await db().select().from(deadLetters);
    expect(entries).toEqual([expect.objectContaining({ replyId: refused.reply.id, errorType: "not_summoned", retryable: false })]);
    expect((await fixture.reply(next.reply.id)).status).toBe("published");
    expect(await accountRow(h.account.id)).toMatchObject({ status: "active", rateLimitedUntil: null });
  });

  it("a reply flagged for a reconcile is matched to our reply with its words, not to a newer reply of ours to that post", async () => {
    const h = await fixture.build();
    await h.accounts.identity(h.account);
    const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);
    await db().update(replies).set({ needsReconcile: true }).where(eq(replies.id, seeded.id));
    const ours = x().addTweet({ authorId: us.id, text: `@alice ${seeded.draft}`, inReplyToTweetId: post.id });
    x().addTweet({ authorId: us.id, text: "@alice a later note by hand", inReplyToTweetId: post.id });

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(await fixture.reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: ours.id, needsReconcile: false });
    expect(postRequests()).toEqual([]);
  });

  it("a 403 duplicate is matched to our reply with the draft's words, not to a newer reply of ours to that post", async () => {
    const h = await fixture.build();
    await h.accounts.identity(h.account);
    const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);
    const ours = x().addTweet({ authorId: us.id, text: seeded.draft, inReplyToTweetId: post.id });
    x().addTweet({ authorId: us.id, text: "@alice a later note by hand", inReplyToTweetId: post.id });

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(postRequests().map((request) => request.status)).toEqual([403]);
    expect(await fixture.reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: ours.id });
  });

  it("a post never edited is read once before the POST (reads are counted against the account)", async () => {
    const h = await fixture.build();
    await h.accounts.identity(h.account);
    const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(x().requests({ endpoint: "GET /2/tweets/:id" }).map((request) => request.path)).toEqual([`/2/tweets/${post.id}`]);
    expect((await fixture.reply(seeded.id)).status).toBe("published");
  });

  it("the database fails while preparing the attachment: the reply goes back due now, nothing downloaded or posted", async () => {
    const downloads: string[] = [];
    const h = await fixture.build({
      db: failingFirstUpdateAfterClaim(db()),
      mediaSource: {
        download(fileId) {
          downloads.push(fileId);
          return Promise.resolve(new Uint8Array(1_000));
        },
      },
    });
    await h.accounts.identity(h.account);
    const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
    await db()
      .update(replies)
      .set({ mediaFileId: `file-${seeded.id}`, mediaKind: "image", mediaMimeType: "image/png", mediaBytes: 1_000 })
      .where(eq(replies.id, seeded.id));

    await h.publisher.runOnce();
    const row = await fixture.reply(seeded.id);
    expect(row).toMatchObject({ status: "approved", needsReconcile: false, leaseUntil: null, scheduledAt: clock });
    expect(row.failureReason).toMatch(/^nothing was posted: the database failed before the POST \(.*extending the lease/);
    expect(downloads).toEqual([]);
    expect(postRequests()).toEqual([]);
  });

  it("an opt-out of an author whose name was not stored is found under the name X gives now, and named so", async () => {
    const h = await fixture.build();
    await h.accounts.identity(h.account);
    const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);
    await db().update(posts).set({ authorUsername: null }).where(eq(posts.tweetId, post.id));
    await db().insert(optOuts).values({ username: "alice", createdBy: null });

    await h.publisher.runOnce();
    expect(await fixture.reply(seeded.id)).toMatchObject({ status: "cancelled", failureReason: "@alice opted out" });
    expect(postRequests()).toEqual([]);
  });

  it("the database fails to record a POST that may have gone out: the claim is kept for a reconcile at the next run, the rest of the batch waits", async () => {
    // The statement that records the POST's retry (built with `with`) fails once, right after the POST.
    const recording = failingBuilder(db(), "with", () => new Error("connection terminated while recording"));
    const h = await fixture.build({ db: recording.db });
    const realPost = h.client.postReply.bind(h.client);
    h.client.postReply = async (...args) => {
      try {
        return await realPost(...args);
      } finally {
        recording.fail();
      }
    };
    await h.accounts.identity(h.account);
    const first = await fixture.seedReply(h.account.id, alice, { decidedAt: new Date(clock.getTime() - 200_000) });
    const second = await fixture.seedReply(h.account.id, alice, { decidedAt: new Date(clock.getTime() - 100_000) });
    // X takes the reply, and the answer is lost on the way back.
    x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDrop" });

    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(1);
    expect((await fixture.reply(first.reply.id)).status).toBe("publishing");
    const waiting = await fixture.reply(second.reply.id);
    expect(waiting).toMatchObject({ status: "approved", attemptCount: 0 });
    expect(waiting.failureReason).toMatch(/^handed back unattempted/);

    await h.publisher.runOnce();
    const [onX] = x().repliesTo(first.post.id);
    expect(await fixture.reply(first.reply.id)).toMatchObject({ status: "published", replyTweetId: onX!.id });
    const attempts = await db().select().from(publishAttempts).where(eq(publishAttempts.replyId, first.reply.id)).orderBy(asc(publishAttempts.startedAt));
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(["ambiguous", "reconciled"]);
    expect(attempts[0]!.error).toMatch(/^the database failed after the POST, before its outcome was recorded \(.*connection terminated while recording/);
    expect((await fixture.reply(second.reply.id)).status).toBe("published");
    expect(x().repliesTo(first.post.id)).toHaveLength(1);
    expect(postRequests()).toHaveLength(2);
  });
});
