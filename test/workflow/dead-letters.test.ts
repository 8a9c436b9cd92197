/**
 * The dead-letter queue of publishes against the fake X and a real database: a reply the
 * publisher gives up on is retried on a backoff schedule (always reconciling first), gives up for
 * good after DLQ_MAX_RETRIES, and an admin can retry it now or discard it. Time is an injected clock
 * shared by the publisher and the queue (advanced, never slept on).
 */
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { renderCard } from "../../src/bot/cards/render-card.js";
import { openPostgres } from "../../src/db/postgres.js";
import { deadLetters, publishAttempts, workflowEvents } from "../../src/db/schema.js";
import { ResiliencePolicy } from "../../src/resilience/policy.js";
import { deadLetterDelayMs } from "../../src/workflow/dead-letters.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";
import { databaseTargets, type TestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import { createPublishFixture, type QueueOptions, type QueueRig } from "../support/publish-fixture.js";

const OUR_TOKEN = "dlq-test-token";
const LABEL = "main";
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DLQ = { cron: "15 * * * * *", baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 5 };

/** A policy that opens after one transient failure and stays open for the test's lifetime. */
function breakerPolicy(): ResiliencePolicy {
  return new ResiliencePolicy(
    "x:main",
    { timeoutMs: 5_000, retries: 0, baseDelayMs: 1, maxDelayMs: 1, breakerThreshold: 1, halfOpenAfterMs: HOUR },
    { onStateChange: () => undefined },
  );
}

describe.each(databaseTargets())("dead-letter queue on $name", (target) => {
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
    us = x.addUser({ id: "710001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x.addUser({ id: "710002", username: "alice" });
    clock = new Date();
  });

  const fixture = createPublishFixture({ db, x: () => x, now: () => clock, token: OUR_TOKEN, label: LABEL });
  const build = (opts: QueueOptions = {}) => fixture.buildWithQueue(DLQ, opts);
  const reply = fixture.reply;
  const seedReply = (accountId: number) => fixture.seedReply(accountId, alice);

  async function entries(replyId?: number) {
    const query = db().select().from(deadLetters);
    return (replyId === undefined ? query : query.where(eq(deadLetters.replyId, replyId))).orderBy(asc(deadLetters.id));
  }

  async function onlyEntry(replyId: number) {
    const rows = await entries(replyId);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  }

  /** Runs the publisher (advancing past each backoff) until the reply is failed. */
  async function publishUntilFailed(h: QueueRig, replyId: number, maxRuns = 10) {
    for (let run = 0; run < maxRuns; run++) {
      await h.publisher.runOnce();
      const row = await reply(replyId);
      if (row.status === "failed") return row;
      expect(row.status).toBe("approved");
      advance(16 * MINUTE);
    }
    throw new Error(`reply ${replyId} did not fail in ${maxRuns} runs`);
  }

  it("503 until the attempts are used up → failed and dead-lettered; retried after the delay, reconciling first, published once", async () => {
    const h = await build({ runPublisher: false });
    const { post, reply: seeded } = await seedReply(h.account.id);
    await h.accounts.identity(h.account);
    // The first POST meets X going down (it may have gone through); every read after it fails too.
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 503 });
    await h.publisher.runOnce();
    advance(16 * MINUTE);
    x.setDown(503);

    const failed = await publishUntilFailed(h, seeded.id);
    expect(failed.attemptCount).toBe(5);
    expect(failed.failureReason).toMatch(/^gave up after 5 attempts: could not check X before posting: .*503/);
    expect(failed.needsReconcile).toBe(true);
    const entry = await onlyEntry(seeded.id);
    expect(entry).toMatchObject({
      status: "pending",
      retryable: true,
      errorType: "server_error",
      retryCount: 0,
      accountId: h.account.id,
      nextRetryAt: new Date(clock.getTime() + 60 * SECOND),
    });
    expect(entry.error).toMatch(/^could not check X before posting: .*503/);
    expect(h.exhausted).toEqual([]);
    expect(postRequests()).toHaveLength(1);
    x.setDown(null);

    // Before next_retry_at the worker does nothing at all.
    advance(59 * SECOND);
    const seen = x.requests().length;
    expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 0 });
    expect((await reply(seeded.id)).status).toBe("failed");
    expect((await onlyEntry(seeded.id)).status).toBe("pending");

    // At next_retry_at the reply goes back to the publisher, due now, to be reconciled first.
    advance(SECOND);
    const changesBefore = h.changes();
    expect(await h.queue.runDue()).toEqual({ retried: 1, settled: 0 });
    expect(h.changes()).toBe(changesBefore + 1);
    expect(await reply(seeded.id)).toMatchObject({ status: "approved", needsReconcile: true, scheduledAt: clock });
    expect((await onlyEntry(seeded.id)).status).toBe("retrying");
    expect(x.requests()).toHaveLength(seen);

    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    const atX = x.repliesTo(post.id);
    expect(atX).toHaveLength(1);
    expect(await reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: atX[0]!.id, needsReconcile: false });
    expect(postRequests().map((r) => r.status)).toEqual([503, 201]);
    expect(await onlyEntry(seeded.id)).toMatchObject({ status: "retried_successfully", nextRetryAt: null });

    advance(HOUR);
    expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 0 });
    await h.publisher.runOnce();
    expect(x.repliesTo(post.id)).toHaveLength(1);
    expect(postRequests()).toHaveLength(2);
  });

  it("a reply X committed before the failures is reconciled on the DLQ retry: no second POST", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    await h.accounts.identity(h.account);
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDrop" });
    await h.publisher.runOnce();
    expect(await reply(seeded.id)).toMatchObject({ status: "approved", needsReconcile: true });
    const ours = x.repliesTo(post.id);
    expect(ours).toHaveLength(1);

    x.setDown(503);
    advance(16 * MINUTE);
    await publishUntilFailed(h, seeded.id);
    expect((await onlyEntry(seeded.id)).status).toBe("pending");
    x.setDown(null);

    advance(60 * SECOND);
    // With the publisher wired in, the worker publishes at once.
    expect(await h.queue.runDue()).toEqual({ retried: 1, settled: 0 });
    expect(await reply(seeded.id)).toMatchObject({ status: "published", replyTweetId: ours[0]!.id });
    expect(postRequests()).toHaveLength(1);
    expect(x.repliesTo(post.id)).toHaveLength(1);
    expect(await onlyEntry(seeded.id)).toMatchObject({ status: "retried_successfully" });
    const outcomes = (await db().select().from(publishAttempts).where(eq(publishAttempts.replyId, seeded.id))).map((a) => a.outcome);
    expect(outcomes.filter((o) => o === "reconciled")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "posted")).toHaveLength(0);
  });

  it("backs off 60, 120, 240, 480, 960 s, then gives up: exhausted, onExhausted once, the card says so", async () => {
    const h = await build({ maxAttempts: 1 });
    const { postRow, reply: seeded } = await seedReply(h.account.id);
    await h.accounts.identity(h.account);
    x.setDown(503);
    await publishUntilFailed(h, seeded.id);

    const delays: number[] = [];
    for (let retry = 0; retry < DLQ.maxRetries; retry++) {
      const entry = await onlyEntry(seeded.id);
      expect(entry).toMatchObject({ status: "pending", retryCount: retry });
      delays.push((entry.nextRetryAt!.getTime() - clock.getTime()) / SECOND);
      advance(entry.nextRetryAt!.getTime() - clock.getTime() - SECOND);
      expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 0 });
      advance(SECOND);
      expect(await h.queue.runDue()).toEqual({ retried: 1, settled: 0 });
      expect((await reply(seeded.id)).status).toBe("failed");
    }
    expect(delays).toEqual([60, 120, 240, 480, 960]);
    expect(delays).toEqual([0, 1, 2, 3, 4].map((n) => deadLetterDelayMs(DLQ, n) / SECOND));

    const entry = await onlyEntry(seeded.id);
    expect(entry).toMatchObject({ status: "exhausted", retryCount: 5, nextRetryAt: null, retryable: true });
    expect(h.exhausted).toHaveLength(1);
    expect(h.exhausted[0]).toMatchObject({ id: entry.id, replyId: seeded.id, status: "exhausted", retryCount: 5 });
    const row = await reply(seeded.id);
    expect(row.status).toBe("failed");
    expect(row.failureReason).toMatch(/^gave up after 5 retries: could not check X before posting: .*503/);
    const card = renderCard({ reply: row, post: postRow, timeZone: "UTC", paused: false, accountUsername: us.username, now: clock });
    expect(card).toContain("❌ <b>Failed</b>: gave up after 5 retries: could not check X before posting");
    expect(card).toContain("/dlq");
    // Six failed attempts of one reply are one failure in /stats.
    const failedEvents = await db().select().from(workflowEvents).where(eq(workflowEvents.kind, "failed"));
    expect(failedEvents.map((e) => e.replyId)).toEqual([seeded.id]);

    // Nothing more happens on its own.
    const seen = x.requests().length;
    advance(24 * HOUR);
    expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 0 });
    expect(x.requests()).toHaveLength(seen);
    expect(h.exhausted).toHaveLength(1);
  });

  it("not retryable (reply to a deleted post) → exhausted at once, onExhausted, never retried on its own", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    x.deleteTweet(post.id);

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 1, retrying: 0 });
    const row = await reply(seeded.id);
    expect(row.status).toBe("failed");
    expect(row.failureReason).toMatch(/deleted or not visible/);
    const entry = await onlyEntry(seeded.id);
    expect(entry).toMatchObject({ status: "exhausted", retryable: false, errorType: "deleted_post", retryCount: 0, nextRetryAt: null });
    expect(h.exhausted.map((e) => e.id)).toEqual([entry.id]);

    advance(24 * HOUR);
    expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 0 });
    expect(postRequests()).toHaveLength(0);
  });

  it("every failed outcome is dead-lettered: duplicate content with no reply of ours is exhausted", async () => {
    const h = await build();
    const { reply: seeded } = await seedReply(h.account.id);
    x.addTweet({ authorId: us.id, text: seeded.draft });
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 1, retrying: 0 });
    expect(await onlyEntry(seeded.id)).toMatchObject({ status: "exhausted", retryable: false, errorType: "duplicate_content" });
  });

  it("breaker open → nothing failed nor dead-lettered, nothing reaches X, the replies wait; both go out once it closes", async () => {
    const policy = breakerPolicy();
    const h = await build({ policy });
    await h.accounts.identity(h.account);
    x.setDown(503);
    await expect(h.client.me()).rejects.toThrow();
    expect(policy.state).toBe("open");
    x.setDown(null);
    const first = await seedReply(h.account.id);
    const second = await seedReply(h.account.id);
    const seen = x.requests().length;

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    expect(x.requests()).toHaveLength(seen);
    const row = await reply(first.reply.id);
    // The account was down, not the reply: back to approved, due now, the attempt not counted.
    expect(row).toMatchObject({ status: "approved", attemptCount: 0, scheduledAt: clock });
    expect(row.failureReason).toMatch(/circuit breaker open.*nothing was sent/);
    expect(await entries(first.reply.id)).toEqual([]);
    // The run stopped claiming for that account: the other reply was not touched.
    expect(await reply(second.reply.id)).toMatchObject({ status: "approved", attemptCount: 0 });
    expect(await entries(second.reply.id)).toEqual([]);

    // The breaker closes (an admin's reset): both go out once.
    policy.reset();
    expect(await h.publisher.runOnce()).toEqual({ published: 2, failed: 0, retrying: 0 });
    expect(x.repliesTo(first.post.id)).toHaveLength(1);
    expect(x.repliesTo(second.post.id)).toHaveLength(1);
    expect(postRequests()).toHaveLength(2);
    expect(h.exhausted).toEqual([]);
  });

  it("isAccountAvailable false (breaker open) → nothing of that account is claimed", async () => {
    const policy = breakerPolicy();
    const h = await build({ policy, isAccountAvailable: () => policy.state !== "open" });
    await h.accounts.identity(h.account);
    x.setDown(503);
    await expect(h.client.me()).rejects.toThrow();
    x.setDown(null);
    const { reply: seeded } = await seedReply(h.account.id);
    const seen = x.requests().length;

    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(await reply(seeded.id)).toMatchObject({ status: "approved", attemptCount: 0 });
    expect(await db().select().from(publishAttempts)).toEqual([]);
    expect(await entries()).toEqual([]);
    expect(x.requests()).toHaveLength(seen);

    policy.reset();
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
  });

  it("retryNow: due at once, runs the worker and the publisher; a finished entry answers 'already'", async () => {
    const h = await build({ maxAttempts: 1 });
    const { post, reply: seeded } = await seedReply(h.account.id);
    x.setDown(503);
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 1, retrying: 0 });
    const entry = await onlyEntry(seeded.id);
    expect(entry).toMatchObject({ status: "pending", retryCount: 0 });

    // Still down: the retry fails and counts; the next retry is 120 s away.
    const first = await h.queue.retryNow(entry.id);
    expect(first.ok).toBe(true);
    expect(await first.done).toEqual({ retried: 1, settled: 0 });
    expect(await onlyEntry(seeded.id)).toMatchObject({
      status: "pending",
      retryCount: 1,
      nextRetryAt: new Date(clock.getTime() + 120 * SECOND),
    });

    x.setDown(null);
    const second = await h.queue.retryNow(entry.id);
    expect(second.ok).toBe(true);
    await second.done;
    expect((await reply(seeded.id)).status).toBe("published");
    expect(x.repliesTo(post.id)).toHaveLength(1);
    expect(await onlyEntry(seeded.id)).toMatchObject({ status: "retried_successfully", retryCount: 1 });

    const before = await onlyEntry(seeded.id);
    expect(await h.queue.retryNow(entry.id)).toEqual({ ok: false, message: "Already retried successfully." });
    expect(await h.queue.discard(entry.id)).toEqual({ ok: false, message: "Already retried successfully." });
    expect(await onlyEntry(seeded.id)).toEqual(before);
    expect(await h.queue.retryNow(9_999)).toEqual({ ok: false, message: "There is no dead letter #9999." });
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("retryNow on an exhausted entry gives it exactly one more try", async () => {
    const h = await build();
    const { post, reply: seeded } = await seedReply(h.account.id);
    x.deleteTweet(post.id);
    await h.publisher.runOnce();
    const entry = await onlyEntry(seeded.id);
    expect(entry.status).toBe("exhausted");

    const result = await h.queue.retryNow(entry.id);
    expect(result.ok).toBe(true);
    await result.done;
    expect(await onlyEntry(seeded.id)).toMatchObject({ status: "exhausted", retryCount: 1, retryable: false });
    expect(h.exhausted).toHaveLength(2);
    // The post is read before each POST: a deleted one is never answered.
    expect(postRequests()).toHaveLength(0);
    expect((await reply(seeded.id)).status).toBe("failed");
  });

  it("discard: the entry is dropped, the reply stays failed, nothing is retried; a second press changes nothing", async () => {
    const h = await build({ maxAttempts: 1 });
    const { reply: seeded } = await seedReply(h.account.id);
    x.setDown(503);
    await h.publisher.runOnce();
    x.setDown(null);
    const entry = await onlyEntry(seeded.id);

    const result = await h.queue.discard(entry.id);
    expect(result).toMatchObject({ ok: true, entry: { id: entry.id, status: "discarded", nextRetryAt: null } });
    const discarded = await onlyEntry(seeded.id);
    expect((await reply(seeded.id)).status).toBe("failed");

    expect(await h.queue.discard(entry.id)).toEqual({ ok: false, message: "Already discarded." });
    expect(await h.queue.retryNow(entry.id)).toEqual({ ok: false, message: "Already discarded." });
    advance(24 * HOUR);
    expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 0 });
    expect(await onlyEntry(seeded.id)).toEqual(discarded);
    expect(x.requests()).toHaveLength(1);
  });

  it("an entry being retried can be neither retried again nor discarded", async () => {
    const h = await build({ maxAttempts: 1, runPublisher: false });
    const { reply: seeded } = await seedReply(h.account.id);
    x.setDown(503);
    await h.publisher.runOnce();
    const entry = await onlyEntry(seeded.id);
    await (await h.queue.retryNow(entry.id)).done;
    expect((await onlyEntry(seeded.id)).status).toBe("retrying");
    const message = `#${entry.id} is being retried right now; nothing to discard.`;
    expect(await h.queue.discard(entry.id)).toEqual({ ok: false, message });
    expect((await h.queue.retryNow(entry.id)).ok).toBe(false);
  });

  it("summary counts by status; list shows open and exhausted entries with their account", async () => {
    const h = await build({ maxAttempts: 1 });
    const pending = await seedReply(h.account.id);
    x.setDown(503);
    await h.publisher.runOnce();
    x.setDown(null);
    const gone = await seedReply(h.account.id);
    x.deleteTweet(gone.post.id);
    await h.publisher.runOnce();
    expect((await reply(pending.reply.id)).status).toBe("failed");
    expect((await reply(gone.reply.id)).status).toBe("failed");

    expect(await h.queue.summary()).toEqual({ pending: 1, retrying: 0, retried_successfully: 0, exhausted: 1, discarded: 0 });
    const list = await h.queue.list(10);
    expect(list.map((e) => [e.replyId, e.status, e.accountLabel, e.accountUsername])).toEqual([
      [pending.reply.id, "pending", LABEL, us.username],
      [gone.reply.id, "exhausted", LABEL, us.username],
    ]);
    expect(await h.queue.list(1)).toHaveLength(1);
  });

  it("a publisher that does not report to the queue: the worker settles its failed retries; a publish settles itself", async () => {
    const h = await build({ maxAttempts: 1, runPublisher: false });
    const silent = await build({ maxAttempts: 1, reportToQueue: false });
    const { reply: seeded } = await seedReply(h.account.id);
    x.setDown(503);
    await h.publisher.runOnce();
    advance(60 * SECOND);
    await h.queue.runDue();
    expect((await onlyEntry(seeded.id)).status).toBe("retrying");

    await silent.publisher.runOnce();
    expect((await reply(seeded.id)).status).toBe("failed");
    expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 1 });
    expect(await onlyEntry(seeded.id)).toMatchObject({ status: "pending", retryCount: 1 });

    // A publish settles the entry in its own statement, reporting or not: nothing is left for the worker.
    x.setDown(null);
    advance(120 * SECOND);
    await h.queue.runDue();
    await silent.publisher.runOnce();
    expect((await reply(seeded.id)).status).toBe("published");
    expect((await onlyEntry(seeded.id)).status).toBe("retried_successfully");
    expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 0 });
  });

  // Real concurrency needs two connection pools: only a PostgreSQL server has them.
  const onPostgres = target.name === "postgres";
  it.runIf(onPostgres)("two workers on two pools hand each due entry back exactly once (SKIP LOCKED)", async () => {
    const second = openPostgres(database.url!, silentLogger());
    try {
      const a = await build({ maxAttempts: 1, runPublisher: false });
      const b = await build({ db: second.db, maxAttempts: 1, runPublisher: false });
      const seeded = [];
      for (let i = 0; i < 20; i++) seeded.push(await seedReply(a.account.id));
      x.setDown(503);
      await a.publisher.runOnce();
      x.setDown(null);
      expect((await entries()).map((e) => e.status)).toEqual(Array(20).fill("pending"));

      advance(60 * SECOND);
      const [ra, rb] = await Promise.all([a.queue.runDue(), b.queue.runDue()]);
      expect(ra.retried + rb.retried).toBe(20);
      expect((await entries()).every((e) => e.status === "retrying")).toBe(true);
      for (const { reply: r } of seeded) expect(await reply(r.id)).toMatchObject({ status: "approved", needsReconcile: true });
    } finally {
      await second.close();
    }
  });
});
