/**
 * The publisher against the fake X and a real database, without Telegram: an approved reply is
 * published exactly once, whatever X or the process does in between. Time is an injected clock
 * (backdated or advanced, never slept on); it starts at the real time so X's rate-limit reset
 * headers (real epoch seconds) line up with it.
 */
import { randomUUID } from "node:crypto";
import { asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Database } from "../../src/db/database.js";
import { openPostgres } from "../../src/db/postgres.js";
import { publishAttempts, replies, xAccounts } from "../../src/db/schema.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";
import { databaseTargets, type TestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { aroundPrepared, failingAfterClaim } from "../support/around-prepared.js";
import { failingBuilder } from "../support/failing-builder.js";
import { claimOne, createPublishFixture, type SeedOptions } from "../support/publish-fixture.js";
import { createStrandedClaims } from "../../src/workflow/publish/stranded-claims.js";
import { claimReplies } from "../../src/workflow/replies/claim-replies.js";
import { releaseUnansweredClaim, UNANSWERED_CLAIM_REASON } from "../../src/workflow/replies/release-unanswered-claim.js";

const OUR_TOKEN = "publisher-test-token";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** `promise`, or a rejection naming `what` if it is still pending after `ms` (a guard against a hang, not a wait). */
async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each(databaseTargets())("publisher on $name", (target) => {
  let database: TestDatabase;
  let x: FakeX;
  let us: FakeXUser;
  let alice: FakeXUser;
  let clock: Date;

  const db = () => database.handle.db;
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const postRequests = () => x.requests({ method: "POST", path: "/2/tweets" });

  beforeAll(async () => {
    database = await target.create();
    x = await startFakeX();
  });
  afterAll(async () => {
    await x.close();
    await database.dispose();
  });
  beforeEach(async () => {
    const d = db();
    await clearWorkflowTables(d);
    x.reset();
    us = x.addUser({ id: "700001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x.addUser({ id: "700002", username: "alice" });
    clock = new Date();
  });

  const fixture = createPublishFixture({ db, x: () => x, now: () => clock, token: OUR_TOKEN });
  const build = fixture.build;
  const reply = fixture.reply;
  const seedReply = (accountId: number, opts: SeedOptions = {}) => fixture.seedReply(accountId, alice, opts);

  const attempts = (replyId: number, handle: Database = db()) =>
    handle.select().from(publishAttempts).where(eq(publishAttempts.replyId, replyId)).orderBy(asc(publishAttempts.startedAt));

  async function accountRow(id: number) {
    const [row] = await db().select().from(xAccounts).where(eq(xAccounts.id, id));
    return row!;
  }

  it("publishes a due reply once, with the right text and parent, and never again", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });

    const sent = postRequests();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual({ text: seeded.draft, reply: { in_reply_to_tweet_id: post.id } });
    const atX = x.repliesTo(post.id);
    expect(atX).toHaveLength(1);
    expect(atX[0]!.author_id).toBe(us.id);
    const row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "published", replyTweetId: atX[0]!.id, needsReconcile: false, failureReason: null, leaseUntil: null });
    expect(row.publishedAt).toEqual(clock);
    const [attempt, ...more] = await attempts(seeded.id);
    expect(more).toEqual([]);
    expect(attempt).toMatchObject({ id: row.attemptId, outcome: "posted", tweetId: atX[0]!.id, accountId: h.account.id });
    expect(h.changes()).toBe(1);

    advance(HOUR);
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(1);
    expect((await reply(seeded.id)).replyTweetId).toBe(atX[0]!.id);
  });

  it("an answer lost after X committed the post (dropped connection) is reconciled, never posted twice", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDrop" });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    let row = await reply(seeded.id);
    expect(row.status).toBe("approved");
    expect(row.needsReconcile).toBe(true);
    expect(row.failureReason).toMatch(/may have reached X/);
    expect(row.scheduledAt!.getTime()).toBeGreaterThan(clock.getTime());
    const atX = x.repliesTo(post.id);
    expect(atX).toHaveLength(1);

    // Before the retry time nothing happens at all.
    const before = x.requests().length;
    await h.publisher.runOnce();
    expect(x.requests()).toHaveLength(before);

    advance(row.scheduledAt!.getTime() - clock.getTime());
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(1);
    row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "published", replyTweetId: atX[0]!.id, needsReconcile: false, failureReason: null });
    expect((await attempts(seeded.id)).map((a) => a.outcome)).toEqual(["ambiguous", "reconciled"]);
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  /**
   * A publisher whose database fails the next `failures` statements it runs with `execute` (the completion) after each
   * POST, and with `fallbackFails` the next statement built with `with` too (the fallback's retry).
   */
  async function failingAfterPost(failures: number, fallbackFails = false) {
    let left = 0;
    const recording = aroundPrepared(db(), (run) => {
      if (left === 0) return run();
      left--;
      return Promise.reject(new Error("connection terminated while recording"));
    });
    const fallback = failingBuilder(recording, "with", () => new Error("connection terminated while handing back"));
    const h = await build({ db: fallback.db, completionRetries: { count: 2, baseMs: 1, maxMs: 1 } });
    const realPost = h.client.postReply.bind(h.client);
    h.client.postReply = async (text, inReplyTo) => {
      const result = await realPost(text, inReplyTo);
      left = failures;
      fallback.fail(fallbackFails ? 1 : 0);
      return result;
    };
    return h;
  }

  it("X took the POST but writing published failed (database) → flagged for a reconcile, never posted twice", async () => {
    // The statement that records the success fails on every try (the first and 2 more), right after X answered 201.
    const h = await failingAfterPost(3);
    const { post, reply: seeded } = await seedReply(h.account.id);

    await h.publisher.runOnce();
    let row = await reply(seeded.id);
    expect(row.status).toBe("approved");
    expect(row.needsReconcile).toBe(true);
    expect(row.failureReason).toMatch(/recording it failed/);
    expect(x.repliesTo(post.id)).toHaveLength(1);

    advance(row.scheduledAt!.getTime() - clock.getTime());
    await h.publisher.runOnce();
    row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "published", replyTweetId: x.repliesTo(post.id)[0]!.id });
    expect(postRequests()).toHaveLength(1);
  });

  it("writing published fails once (a database restart) → tried again: published in the same run, no reconcile needed", async () => {
    const h = await failingAfterPost(1);
    const { post, reply: seeded } = await seedReply(h.account.id);

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(await reply(seeded.id)).toMatchObject({ status: "published", needsReconcile: false, replyTweetId: x.repliesTo(post.id)[0]!.id });
    expect((await attempts(seeded.id)).map((a) => a.outcome)).toEqual(["posted"]);
  });

  it("the database fails right after the claim, before the POST → the claim is handed back at once, due now, nothing posted", async () => {
    const flaky = failingAfterClaim(db(), 0);
    const h = await build({ db: flaky });
    const { post, reply: seeded } = await seedReply(h.account.id);
    await h.accounts.identity(h.account);

    await h.publisher.runOnce();
    let row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "approved", needsReconcile: false, leaseUntil: null });
    expect(row.scheduledAt!.getTime()).toBeLessThanOrEqual(clock.getTime());
    expect(row.failureReason).toMatch(/nothing was posted/);
    expect(postRequests()).toHaveLength(0);

    await h.publisher.runOnce();
    row = await reply(seeded.id);
    expect(row.status).toBe("published");
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("writing published and its fallback both fail (the database is down) → the claim is handed back at the next run, not at its lease's end", async () => {
    // The completion's statement fails on every try (the first and 2 more), then so does the fallback's retry.
    const h = await failingAfterPost(3, true);
    const { post, reply: seeded } = await seedReply(h.account.id);

    await h.publisher.runOnce();
    expect(await reply(seeded.id)).toMatchObject({ status: "publishing", attemptCount: 1 });
    expect(x.repliesTo(post.id)).toHaveLength(1);

    // The next run, long before the lease would end: handed back flagged, found at X by the reconcile.
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(await reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: x.repliesTo(post.id)[0]!.id });
    expect((await attempts(seeded.id)).map((a) => a.outcome)).toEqual(["ambiguous", "reconciled"]);
    expect(postRequests()).toHaveLength(1);
  });

  it("the database fails before the POST and again for the hand-backs → the batch goes back at the next run, the unattempted uncounted", async () => {
    // The first reply's opt-out check fails, then its hand-back and the hand-back of the rest of the batch.
    const flaky = failingAfterClaim(db(), 2);
    const h = await build({ db: flaky });
    const seeded = [await seedReply(h.account.id), await seedReply(h.account.id), await seedReply(h.account.id)];
    await h.accounts.identity(h.account);

    await h.publisher.runOnce();
    for (const { reply: r } of seeded) expect((await reply(r.id)).status).toBe("publishing");
    expect(postRequests()).toHaveLength(0);

    expect(await h.publisher.runOnce()).toEqual({ published: 3, failed: 0, retrying: 0 });
    const rows = await Promise.all(seeded.map(({ reply: r }) => reply(r.id)));
    expect(rows.map((row) => [row.status, row.needsReconcile, row.attemptCount])).toEqual([
      ["published", false, 2],
      ["published", false, 1],
      ["published", false, 1],
    ]);
    expect(postRequests()).toHaveLength(3);
    for (const { post } of seeded) expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  /** The test's database losing the answer of its first hand-written statement (the claim) after it committed. */
  function losingFirstAnswer(): Database {
    let answered = false;
    return aroundPrepared(db(), async (run) => {
      const result = await run();
      if (answered) return result;
      answered = true;
      throw new Error("connection terminated after the claim committed");
    });
  }

  it("a claim that committed but whose answer was lost → what it took goes back at the next run, uncounted, posted once", async () => {
    const flaky = losingFirstAnswer();
    const h = await build({ db: flaky });
    const { post, reply: seeded } = await seedReply(h.account.id);

    await expect(h.publisher.runOnce()).rejects.toThrow(/after the claim committed/);
    expect(await reply(seeded.id)).toMatchObject({ status: "publishing", attemptCount: 1 });

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(await reply(seeded.id)).toMatchObject({ status: "published", attemptCount: 1, needsReconcile: false });
    expect((await attempts(seeded.id)).map((a) => a.outcome)).toEqual(["retry", "posted"]);
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("while paused, what an unanswered claim took still goes back at the next run, due then, uncounted, and the cards are told", async () => {
    const flaky = losingFirstAnswer();
    const h = await build({ db: flaky });
    const { reply: seeded } = await seedReply(h.account.id);
    await expect(h.publisher.runOnce()).rejects.toThrow(/after the claim committed/);
    await h.pause.pause(1, clock);
    advance(MINUTE);
    const changesBefore = h.changes();

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(h.changes()).toBe(changesBefore + 1);
    expect(await reply(seeded.id)).toMatchObject({
      status: "approved",
      leaseUntil: null,
      scheduledAt: clock,
      attemptCount: 0,
      needsReconcile: false,
      failureReason: expect.stringMatching(/^handed back unattempted: the database failed before the claim's answer arrived$/) as unknown,
    });
    expect(await attempts(seeded.id)).toMatchObject([{ outcome: "retry", finishedAt: clock, error: UNANSWERED_CLAIM_REASON }]);
  });

  it("an unanswered claim's hand-back moves only what that claim took, for its account, and says which replies", async () => {
    const h = await build();
    const seeded = [await seedReply(h.account.id), await seedReply(h.account.id)];
    const token = randomUUID();
    await claimReplies(db(), { accountId: h.account.id, now: clock, leaseSeconds: 120, batch: 25, token });

    expect(await releaseUnansweredClaim(db(), { accountId: h.account.id, token: randomUUID() }, clock)).toEqual([]);
    expect(await releaseUnansweredClaim(db(), { accountId: h.account.id + 1, token }, clock)).toEqual([]);
    const moved = await releaseUnansweredClaim(db(), { accountId: h.account.id, token }, clock);
    expect(moved.toSorted((a, b) => a - b)).toEqual(seeded.map(({ reply: r }) => r.id));
    expect(await releaseUnansweredClaim(db(), { accountId: h.account.id, token }, clock)).toEqual([]);
  });

  it("while paused, a claim kept after its outcome failed to write still goes back at the next run, and the cards are told", async () => {
    const h = await failingAfterPost(3, true);
    const { reply: seeded } = await seedReply(h.account.id);
    await h.publisher.runOnce();
    expect((await reply(seeded.id)).status).toBe("publishing");
    await h.pause.pause(1, clock);
    advance(MINUTE);
    const changesBefore = h.changes();

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(h.changes()).toBe(changesBefore + 1);
    expect(await reply(seeded.id)).toMatchObject({ status: "approved", needsReconcile: true, scheduledAt: clock, attemptCount: 1 });
    // Handed back once: the next run has nothing kept, so nothing to tell.
    await h.publisher.runOnce();
    expect(h.changes()).toBe(changesBefore + 1);
  });

  it("a kept claim is logged with its trace and whether a POST may have gone out; an unanswered claim with its account", async () => {
    const { logger, lines } = capturingLogger();
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    const claim = await claimOne(db(), { accountId: h.account.id, now: clock, leaseSeconds: 120 });
    const handedBack: unknown[] = [];
    const stranded = createStrandedClaims({
      db: db(),
      now: () => clock,
      logger,
      outcomes: {
        retryLater: (kept, reason, opts) => {
          handedBack.push({ replyId: kept.reply.id, reason, ...opts });
          return Promise.resolve(true);
        },
      },
    });

    stranded.hold({ claim: claim!, reason: "the database failed", ambiguous: true, uncounted: false });
    stranded.holdUnanswered({ accountId: h.account.id, token: randomUUID() });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toMatchObject([
      { level: 40, trace: post.id, replyId: seeded.id, ambiguous: true, msg: expect.stringMatching(/kept to hand back/) as unknown },
      { level: 40, accountId: h.account.id, msg: expect.stringMatching(/without an answer/) as unknown },
    ]);
    expect(await stranded.handBackAll()).toBe(1);
    expect(handedBack).toEqual([{ replyId: seeded.id, reason: "the database failed", ambiguous: true, at: clock, uncounted: false }]);
    expect(await stranded.handBackAll()).toBe(0);
  });

  it("a POST that times out after X committed it is reconciled: one tweet at X", async () => {
    const h = await build({ requestTimeoutMs: 250 });
    const { post, reply: seeded } = await seedReply(h.account.id);
    await h.accounts.identity(h.account);
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDelay", ms: 1_500 });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    const row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "approved", needsReconcile: true });
    expect(row.failureReason).toMatch(/timed out/);
    const atX = x.repliesTo(post.id);
    expect(atX).toHaveLength(1);

    advance(16 * MINUTE);
    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(1);
    expect(await reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: atX[0]!.id });
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("X down (503) → retried later, not failed, nothing posted; published once when X is back", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    await h.accounts.identity(h.account);
    // X goes down between the read of the post and the POST.
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 503 });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    x.setDown(503);
    let row = await reply(seeded.id);
    expect(row.status).toBe("approved");
    expect(row.failureReason).toMatch(/503/);
    // A 5xx to a POST may hide a created post: the retry must look first.
    expect(row.needsReconcile).toBe(true);
    expect(x.tweets().filter((t) => t.author_id === us.id)).toEqual([]);

    // Still down at the retry: reading X fails, so nothing is posted and it waits again.
    advance(16 * MINUTE);
    await h.publisher.runOnce();
    row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "approved", needsReconcile: true });
    expect(row.failureReason).toMatch(/could not check X/);
    expect(postRequests()).toHaveLength(1);

    x.setDown(null);
    advance(16 * MINUTE);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    const atX = x.repliesTo(post.id);
    expect(atX).toHaveLength(1);
    expect(await reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: atX[0]!.id, needsReconcile: false });
    advance(HOUR);
    await h.publisher.runOnce();
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("403 duplicate content while our reply exists at X → published with that reply's id", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    const earlier = x.addTweet({ authorId: us.id, text: seeded.draft, inReplyToTweetId: post.id });

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(1);
    expect(postRequests()[0]!.status).toBe(403);
    expect(await reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: earlier.id });
    expect((await attempts(seeded.id)).map((a) => a.outcome)).toEqual(["reconciled"]);
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("403 duplicate content with no reply of ours to that post → failed with a readable reason", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    x.addTweet({ authorId: us.id, text: seeded.draft }); // the same text, but not a reply to this post

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 1, retrying: 0 });
    const row = await reply(seeded.id);
    expect(row.status).toBe("failed");
    expect(row.failureReason).toMatch(/duplicate content.*no reply of ours/);
    expect(x.repliesTo(post.id)).toEqual([]);
    advance(HOUR);
    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(1);
  });

  it("403 duplicate content whose check fails is retried with a reconcile, not left claimed", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    const earlier = x.addTweet({ authorId: us.id, text: seeded.draft, inReplyToTweetId: post.id });
    await h.accounts.identity(h.account);
    x.enqueueFault({ method: "GET", path: "/2/users/:id/tweets" }, { kind: "status", status: 503 });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    const row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "approved", needsReconcile: true, leaseUntil: null });
    expect(h.changes()).toBe(1);

    advance(16 * MINUTE);
    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(1);
    expect(await reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: earlier.id });
  });

  // Bound replies: a free one is due again at once, for another account (test/workflow/account-pool.test.ts).
  it("429 → stays approved, the account waits until the reset without calling X, then publishes", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id, { bound: true });
    const other = await seedReply(h.account.id, { bound: true });
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "rateLimited", resetInSeconds: 120 });

    // The other due reply is held back too: the whole account waits, not just the refused reply.
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    expect(postRequests()).toHaveLength(1);
    expect((await reply(other.reply.id)).status).toBe("approved");
    const row = await reply(seeded.id);
    expect(row.status).toBe("approved");
    expect(row.needsReconcile).toBe(false);
    const until = (await accountRow(h.account.id)).rateLimitedUntil;
    expect(until).not.toBeNull();
    expect(until!.getTime()).toBeGreaterThan(clock.getTime() + 100_000);
    expect(until!.getTime()).toBeLessThanOrEqual(Date.now() + 122_000);
    expect(row.scheduledAt).toEqual(until);

    const seen = x.requests().length;
    advance(60_000);
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(x.requests()).toHaveLength(seen);

    advance(until!.getTime() - clock.getTime() + 1_000);
    expect(await h.publisher.runOnce()).toEqual({ published: 2, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(3);
    expect(x.repliesTo(post.id)).toHaveLength(1);
    expect(x.repliesTo(other.post.id)).toHaveLength(1);
    expect((await reply(seeded.id)).status).toBe("published");
  });

  it("429 with a reset already past by our clock → the account still waits a full minute", async () => {
    const h = await build();
    const { reply: seeded } = await seedReply(h.account.id, { bound: true });
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "rateLimited", resetInSeconds: -120 });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    const until = new Date(clock.getTime() + MINUTE);
    expect((await accountRow(h.account.id)).rateLimitedUntil).toEqual(until);
    expect(await reply(seeded.id)).toMatchObject({ status: "approved", scheduledAt: until, needsReconcile: false });

    // Not re-claimed at once, nor before the minute is over.
    advance(MINUTE - 1_000);
    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(1);
    advance(1_000);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
  });

  it("429 without any reset → the account waits the default 15 minutes", async () => {
    const h = await build();
    const { reply: seeded } = await seedReply(h.account.id, { bound: true });
    // No usable x-rate-limit-* headers and no retry-after: nothing says when the limit resets.
    const noReset = { "x-rate-limit-limit": "none", "x-rate-limit-remaining": "none", "x-rate-limit-reset": "none" };
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 429, headers: noReset });

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    const until = new Date(clock.getTime() + 15 * MINUTE);
    expect((await accountRow(h.account.id)).rateLimitedUntil).toEqual(until);
    expect(await reply(seeded.id)).toMatchObject({ status: "approved", scheduledAt: until });

    advance(15 * MINUTE - 1_000);
    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(1);
    advance(1_000);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
  });

  it("a reply to a deleted post fails with a reason, with no POST, and is not retried", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    x.deleteTweet(post.id);

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 1, retrying: 0 });
    const row = await reply(seeded.id);
    expect(row.status).toBe("failed");
    expect(row.failureReason).toMatch(/deleted or not visible/);
    expect((await accountRow(h.account.id)).status).toBe("active");
    advance(HOUR);
    await h.publisher.runOnce();
    // The post is read again right before the POST: a deleted one is never answered.
    expect(postRequests()).toHaveLength(0);
  });

  it("401 before the POST (credentials revoked) → the reply goes back uncounted, account needs attention, nothing fails", async () => {
    const h = await build({ token: "revoked-token" });
    // The identity was resolved while the credentials still worked.
    await db().update(xAccounts).set({ xUserId: us.id, username: us.username }).where(eq(xAccounts.id, h.account.id));
    const first = await seedReply(h.account.id);
    const second = await seedReply(h.account.id);

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    const row = await reply(first.reply.id);
    // The account, not the reply, failed: due again now (for another account), the attempt not counted.
    expect(row).toMatchObject({ status: "approved", attemptCount: 0, needsReconcile: false, scheduledAt: clock });
    expect(row.failureReason).toMatch(/401.*nothing was sent/);
    expect(await accountRow(h.account.id)).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/401/) });
    // X refused the read of the post already: nothing was posted.
    expect(x.requests()).toHaveLength(1);
    expect(postRequests()).toHaveLength(0);
    // The account is held: both replies wait untouched, and nothing more goes to X.
    advance(HOUR);
    await h.publisher.runOnce();
    expect(x.requests()).toHaveLength(1);
    expect((await reply(first.reply.id)).status).toBe("approved");
    expect((await reply(second.reply.id)).status).toBe("approved");
  });

  it("401 on the first call (unknown token, identity never resolved) → waits, account needs attention", async () => {
    const h = await build({ token: "unknown-token" });
    const { reply: seeded } = await seedReply(h.account.id);

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    const row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "approved", attemptCount: 0 });
    expect(row.failureReason).toMatch(/401/);
    expect(await accountRow(h.account.id)).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/401/) });
    const seen = x.requests().length;
    advance(HOUR);
    await h.publisher.runOnce();
    expect(x.requests()).toHaveLength(seen);
    expect(postRequests()).toEqual([]);
  });

  it("REPLY_POLICY=summoned and a post that is not answerable → failed without any request to X", async () => {
    const h = await build({ replyPolicy: "summoned" });
    const { reply: seeded } = await seedReply(h.account.id, { answerable: false });
    const answerable = await seedReply(h.account.id, { answerable: true });

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 1, retrying: 0 });
    const row = await reply(seeded.id);
    expect(row.status).toBe("failed");
    expect(row.failureReason).toMatch(/not answerable/);
    expect(postRequests()).toHaveLength(1);
    expect(postRequests()[0]!.body).toMatchObject({ reply: { in_reply_to_tweet_id: answerable.post.id } });
    expect(x.requests().filter((r) => JSON.stringify(r).includes(seeded.postTweetId))).toEqual([]);
  });

  it("REPLY_POLICY=summoned with only an unanswerable post → no request to X at all", async () => {
    const h = await build({ replyPolicy: "summoned" });
    const { reply: seeded } = await seedReply(h.account.id, { answerable: false });
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 1, retrying: 0 });
    expect((await reply(seeded.id)).status).toBe("failed");
    expect(x.requests()).toEqual([]);
  });

  it("maxPostsPerHour: only that many POSTs in an hour; the rest go when the hour has passed", async () => {
    const h = await build({ settings: { maxPostsPerHour: 2 } });
    const seeded = [await seedReply(h.account.id), await seedReply(h.account.id), await seedReply(h.account.id)];

    expect(await h.publisher.runOnce()).toEqual({ published: 2, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(2);
    advance(30 * MINUTE);
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(2);
    expect((await reply(seeded[2]!.reply.id)).status).toBe("approved");

    advance(30 * MINUTE + 1_000);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(3);
    for (const { post } of seeded) expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("maxPostsPerDay counts the attempts of the last 24 hours", async () => {
    const h = await build({ settings: { maxPostsPerDay: 1 } });
    const first = await seedReply(h.account.id);
    const second = await seedReply(h.account.id);
    await h.publisher.runOnce();
    advance(23 * HOUR);
    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(1);
    expect((await reply(second.reply.id)).status).toBe("approved");
    advance(HOUR + 1_000);
    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(2);
    expect((await reply(first.reply.id)).status).toBe("published");
    expect((await reply(second.reply.id)).status).toBe("published");
  });

  it("gap: the next due reply waits until x_accounts.next_post_at (random within the range)", async () => {
    const h = await build({ settings: { gapSeconds: { min: 30, max: 90 } }, random: () => 0.5 });
    const first = await seedReply(h.account.id);
    const second = await seedReply(h.account.id);

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect((await reply(first.reply.id)).status).toBe("published");
    const nextPostAt = (await accountRow(h.account.id)).nextPostAt;
    expect(nextPostAt).toEqual(new Date(clock.getTime() + 60_000));

    advance(59_000);
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(1);

    advance(1_000);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(postRequests()).toHaveLength(2);
    expect((await reply(second.reply.id)).status).toBe("published");
  });

  it("paused → runOnce posts nothing; resumed → it publishes", async () => {
    const h = await build();
    const { reply: seeded } = await seedReply(h.account.id);
    await h.pause.pause(1, clock);

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(x.requests()).toEqual([]);
    expect((await reply(seeded.id)).status).toBe("approved");
    expect(h.changes()).toBe(0);

    await h.pause.resume(1, clock);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
  });

  it("crash recovery: a claim left in publishing whose tweet exists at X is reconciled, no POST", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    // The dead process had claimed the reply, recorded its attempt, and X had created the post.
    const deadAttempt = "00000000-0000-4000-8000-000000000001";
    await db()
      .update(replies)
      .set({ status: "publishing", attemptId: deadAttempt, attemptCount: 1, leaseUntil: new Date(clock.getTime() - 1_000) })
      .where(eq(replies.id, seeded.id));
    await db()
      .insert(publishAttempts)
      .values({ id: deadAttempt, replyId: seeded.id, accountId: h.account.id, startedAt: new Date(clock.getTime() - 3 * MINUTE) });
    const existing = x.addTweet({ authorId: us.id, text: seeded.draft, inReplyToTweetId: post.id });

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(postRequests()).toEqual([]);
    const row = await reply(seeded.id);
    expect(row).toMatchObject({ status: "published", replyTweetId: existing.id, needsReconcile: false });
    expect(row.attemptId).not.toBe(deadAttempt);
    const rows = await attempts(seeded.id);
    expect(rows.map((a) => [a.id === deadAttempt, a.outcome])).toEqual([
      [true, null],
      [false, "reconciled"],
    ]);
  });

  it("recoverClaims(true) releases a claim with a future lease; recoverClaims(false) does not", async () => {
    const h = await build();
    const { reply: seeded } = await seedReply(h.account.id);
    await db()
      .update(replies)
      .set({
        status: "publishing",
        attemptId: "00000000-0000-4000-8000-000000000002",
        attemptCount: 1,
        leaseUntil: new Date(clock.getTime() + 10 * MINUTE),
      })
      .where(eq(replies.id, seeded.id));

    expect(await h.publisher.recoverClaims(false)).toBe(0);
    expect(await reply(seeded.id)).toMatchObject({ status: "publishing", needsReconcile: false });
    // A run on a shared server must not steal a live claim either.
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(x.requests()).toEqual([]);

    expect(await h.publisher.recoverClaims(true)).toBe(1);
    expect(await reply(seeded.id)).toMatchObject({ status: "approved", needsReconcile: true, leaseUntil: null });
    await h.publisher.runOnce();
    expect(postRequests()).toHaveLength(1);
    expect((await reply(seeded.id)).status).toBe("published");
  });

  it("a stale worker's late outcome cannot overwrite the reply another worker published", async () => {
    const stale = await build({ requestTimeoutMs: 20_000 });
    const fresh = await build();
    const { post, reply: seeded } = await seedReply(stale.account.id);
    await stale.accounts.identity(stale.account);
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "hang" });

    const late = stale.publisher.runOnce();
    await vi.waitFor(() => expect(postRequests()).toHaveLength(1), { timeout: 5_000, interval: 10 });
    const claimed = await reply(seeded.id);
    expect(claimed.status).toBe("publishing");
    const staleAttempt = claimed.attemptId!;

    // Its lease runs out while X keeps it waiting; another run takes over.
    await db()
      .update(replies)
      .set({ leaseUntil: new Date(clock.getTime() - 1_000) })
      .where(eq(replies.id, seeded.id));
    expect(await fresh.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    const atX = x.repliesTo(post.id);
    expect(atX).toHaveLength(1);
    const published = await reply(seeded.id);
    expect(published).toMatchObject({ status: "published", replyTweetId: atX[0]!.id });
    expect(published.attemptId).not.toBe(staleAttempt);

    expect(x.releaseHangs()).toBe(1);
    await late;
    const after = await reply(seeded.id);
    expect(after).toMatchObject({
      status: "published",
      replyTweetId: atX[0]!.id,
      attemptId: published.attemptId,
      needsReconcile: false,
      failureReason: null,
      version: published.version,
    });
    const rows = await attempts(seeded.id);
    const staleRow = rows.find((a) => a.id === staleAttempt);
    expect(staleRow?.outcome).toBe("ambiguous");
    expect(staleRow?.finishedAt).not.toBeNull();
    expect(rows.find((a) => a.id === published.attemptId)?.outcome).toBe("posted");

    advance(HOUR);
    await fresh.publisher.runOnce();
    expect(postRequests()).toHaveLength(2);
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("a late answer of a worker whose lease was taken over cannot overwrite the newer attempt's claim", async () => {
    // The stale worker's POST hangs until its client gives up; the fresh worker's POST hangs until released.
    const stale = await build({ requestTimeoutMs: 3_000 });
    const fresh = await build({ requestTimeoutMs: 20_000 });
    const { post, reply: seeded } = await seedReply(stale.account.id);
    await stale.accounts.identity(stale.account);
    await fresh.accounts.identity(fresh.account);
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "hang" }, 2);

    const late = stale.publisher.runOnce();
    await vi.waitFor(() => expect(postRequests()).toHaveLength(1), { timeout: 2_000, interval: 10 });
    const staleAttempt = (await reply(seeded.id)).attemptId!;

    // Its lease runs out while X keeps it waiting; another worker takes the claim over and posts.
    await fixture.expireLease(seeded.id);
    const freshRun = fresh.publisher.runOnce();
    await vi.waitFor(() => expect(postRequests()).toHaveLength(2), { timeout: 2_000, interval: 10 });
    const claimed = await reply(seeded.id);
    expect(claimed).toMatchObject({ status: "publishing", needsReconcile: true });
    expect(claimed.attemptId).not.toBe(staleAttempt);

    // The stale worker's timeout arrives while the fresh worker still holds the claim: ignored.
    expect(await late).toEqual({ published: 0, failed: 0, retrying: 1 });
    const after = await reply(seeded.id);
    expect(after).toMatchObject({
      status: "publishing",
      attemptId: claimed.attemptId,
      version: claimed.version,
      leaseUntil: claimed.leaseUntil,
      scheduledAt: claimed.scheduledAt,
      failureReason: claimed.failureReason,
    });
    const staleRow = (await attempts(seeded.id)).find((a) => a.id === staleAttempt);
    expect(staleRow).toMatchObject({ outcome: "ambiguous" });
    expect(staleRow?.finishedAt).not.toBeNull();

    // The fresh worker's own outcome is still written, and the reply goes out once.
    // The fresh request is still hung (the stale one too, unless the fake saw its client leave).
    expect(x.releaseHangs()).toBeGreaterThanOrEqual(1);
    expect(await freshRun).toEqual({ published: 0, failed: 0, retrying: 1 });
    expect(await reply(seeded.id)).toMatchObject({ status: "approved", attemptId: claimed.attemptId, needsReconcile: true });
    advance(HOUR);
    expect(await fresh.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  // Real concurrency needs two connection pools: only a PostgreSQL server has them.
  const onPostgres = target.name === "postgres";
  it.runIf(onPostgres)("a reply locked by another worker's claim is skipped, not waited on", async () => {
    const second = openPostgres(database.url!, silentLogger());
    try {
      const h = await build();
      const locked = await seedReply(h.account.id);
      const free = await seedReply(h.account.id);
      // Another worker is in the middle of claiming the oldest due reply (its row lock is held).
      const result = await second.db.transaction(async (tx) => {
        await tx.select({ id: replies.id }).from(replies).where(eq(replies.id, locked.reply.id)).for("update");
        return withDeadline(h.publisher.runOnce(), 5_000, "runOnce waited on a row another worker had locked");
      });
      expect(result).toEqual({ published: 1, failed: 0, retrying: 0 });
      expect((await reply(free.reply.id)).status).toBe("published");
      expect((await reply(locked.reply.id)).status).toBe("approved");
      expect(postRequests()).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it.runIf(onPostgres)(
    "two publishers on two connection pools publish 20 replies exactly once (SKIP LOCKED)",
    async () => {
      const second = openPostgres(database.url!, silentLogger());
      try {
        const a = await build();
        const b = await build({ db: second.db });
        expect(b.account.id).toBe(a.account.id);
        const seeded = [];
        for (let i = 0; i < 20; i++) seeded.push(await seedReply(a.account.id));

        let publishedByA = 0;
        let publishedByB = 0;
        for (let round = 0; round < 3; round++) {
          const [ra, rb] = await Promise.all([a.publisher.runOnce(), b.publisher.runOnce()]);
          publishedByA += ra.published;
          publishedByB += rb.published;
        }

        expect(publishedByA + publishedByB).toBe(20);
        expect(postRequests()).toHaveLength(20);
        expect(postRequests().every((r) => r.status === 201)).toBe(true);
        for (const { post } of seeded) expect(x.repliesTo(post.id)).toHaveLength(1);
        const ids = seeded.map((s) => s.reply.id);
        const rows = await db().select().from(replies).where(inArray(replies.id, ids));
        expect(rows.every((r) => r.status === "published")).toBe(true);
        expect(new Set(rows.map((r) => r.replyTweetId)).size).toBe(20);
        const all = await db().select().from(publishAttempts).where(inArray(publishAttempts.replyId, ids));
        expect(all).toHaveLength(20);
        expect(new Set(all.map((r) => r.replyId)).size).toBe(20);
        expect(all.every((r) => r.outcome === "posted")).toBe(true);
      } finally {
        await second.close();
      }
    },
  );
});
