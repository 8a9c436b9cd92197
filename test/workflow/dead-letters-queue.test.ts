/**
 * The dead-letter queue against a real database without a publisher or X: what `record` writes (delays, the
 * clipped error, exhaustion and the card's reason), `afterCommit`, what the worker does with each reply state,
 * the pause switch, and the admin side's refusals and ordering.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { deadLetters, posts, replies, xAccounts, type DeadLetterStatus, type ReplyStatus } from "../../src/db/schema.js";
import { createDeadLetters, type DeadLetterDeps } from "../../src/workflow/dead-letters.js";
import { discardDeadLetters } from "../../src/workflow/dead-letters/cancel.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { countingDeadLetters, DEAD_LETTER_NOW, DEAD_LETTER_SETTINGS } from "../support/dead-letter-queue.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = DEAD_LETTER_NOW;
const SECOND = 1_000;
const SETTINGS = DEAD_LETTER_SETTINGS;
const at = (ms: number) => new Date(NOW.getTime() + ms);

describe.each(databaseTargets())("dead-letter queue without a publisher on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let accountId: number;
  let seq = 0;

  beforeEach(async () => {
    const [account] = await db().insert(xAccounts).values({ label: "main" }).returning();
    accountId = account!.id;
  });

  /** A reply in `status` to a new post; resolves with its id and its post's id. */
  async function seedReply(status: ReplyStatus = "failed") {
    seq++;
    const tweetId = `77${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, accountId, status, draft: `Hello ${seq}.`, weightedLength: 8, expiresAt: at(3_600_000), failureReason: "X answered 503" })
      .returning();
    return { replyId: reply!.id, tweetId };
  }

  async function seedEntry(replyId: number, status: DeadLetterStatus, extra: Partial<typeof deadLetters.$inferInsert> = {}) {
    const [entry] = await db()
      .insert(deadLetters)
      .values({ replyId, accountId, error: "X answered 503", errorType: "server_error", retryable: true, status, nextRetryAt: NOW, ...extra })
      .returning();
    return entry!;
  }

  const queue = (overrides: Partial<DeadLetterDeps> = {}) => countingDeadLetters(db(), silentLogger(), overrides);

  const entryOf = async (id: number) => (await db().select().from(deadLetters).where(eq(deadLetters.id, id)))[0]!;
  const replyOf = async (id: number) => (await db().select().from(replies).where(eq(replies.id, id)))[0]!;
  const input = (replyId: number, extra: { error?: string; retryable?: boolean } = {}) => ({
    replyId,
    accountId,
    error: extra.error ?? "X answered 503",
    errorType: "server_error",
    retryable: extra.retryable ?? true,
  });

  describe("record", () => {
    it("a first failure is pending for the base delay; each failed retry of it counts on the same entry and doubles the delay", async () => {
      const { replyId } = await seedReply();
      const { q, exhausted } = queue();
      const first = await q.record(input(replyId));
      expect(first).toMatchObject({ status: "pending", retryCount: 0, nextRetryAt: at(60 * SECOND), createdAt: NOW, updatedAt: NOW });
      await db().update(deadLetters).set({ status: "retrying" }).where(eq(deadLetters.id, first.id));
      const second = await q.record(input(replyId, { error: "X answered 502" }));
      expect(second).toMatchObject({ id: first.id, status: "pending", retryCount: 1, nextRetryAt: at(120 * SECOND), error: "X answered 502" });
      expect(exhausted).toEqual([]);
    });

    it("keeps the first 1,000 characters of the error", async () => {
      const { replyId } = await seedReply();
      const entry = await queue().q.record(input(replyId, { error: "x".repeat(1_200) }));
      expect(entry.error).toBe("x".repeat(1_000));
    });

    it("a permanent failure is exhausted at once and reported when recorded outside a transaction; the card's reason is left alone", async () => {
      const { replyId } = await seedReply();
      const { q, exhausted } = queue();
      const entry = await q.record(input(replyId, { retryable: false }));
      expect(entry).toMatchObject({ status: "exhausted", retryCount: 0, nextRetryAt: null, retryable: false });
      expect(exhausted.map((e) => e.id)).toEqual([entry.id]);
      expect((await replyOf(replyId)).failureReason).toBe("X answered 503");
    });

    it("inside the caller's transaction nothing is reported until afterCommit", async () => {
      const { replyId } = await seedReply();
      const { q, exhausted } = queue();
      const entry = await db().transaction((tx) => q.record(input(replyId, { retryable: false }), tx));
      expect(exhausted).toEqual([]);
      q.afterCommit(entry);
      expect(exhausted.map((e) => e.id)).toEqual([entry.id]);
    });

    it("the last allowed retry failing exhausts the entry and the card says why, in the singular for one retry", async () => {
      const { replyId } = await seedReply();
      const { q } = queue({ settings: { ...SETTINGS, maxRetries: 1 } });
      const first = await q.record(input(replyId));
      await db().update(deadLetters).set({ status: "retrying" }).where(eq(deadLetters.id, first.id));
      const last = await q.record(input(replyId, { error: "X answered 502" }));
      expect(last).toMatchObject({ status: "exhausted", retryCount: 1, nextRetryAt: null });
      expect((await replyOf(replyId)).failureReason).toBe("gave up after 1 retry: X answered 502");
    });

    it("after more than one retry the card's reason says retries", async () => {
      const { replyId } = await seedReply();
      const { q } = queue({ settings: { ...SETTINGS, maxRetries: 2 } });
      for (let i = 0; i < 2; i++) {
        const entry = await q.record(input(replyId));
        await db().update(deadLetters).set({ status: "retrying" }).where(eq(deadLetters.id, entry.id));
      }
      expect(await q.record(input(replyId))).toMatchObject({ status: "exhausted", retryCount: 2 });
      expect((await replyOf(replyId)).failureReason).toBe("gave up after 2 retries: X answered 503");
    });

    it("afterCommit reports only exhausted entries, and an onExhausted that throws is logged, not thrown", async () => {
      const { replyId } = await seedReply();
      const { q, exhausted } = queue();
      const pending = await q.record(input(replyId));
      q.afterCommit(pending);
      expect(exhausted).toEqual([]);

      const { logger, lines } = capturingLogger();
      const throwing = queue({
        logger,
        onExhausted: () => {
          throw new Error("alert sink down");
        },
      });
      expect(() => throwing.q.afterCommit({ ...pending, status: "exhausted" })).not.toThrow();
      expect(lines.some((line) => line.includes("onExhausted failed") && line.includes("alert sink down"))).toBe(true);
    });

    it("logs each entry under the trace of the post its reply answers", async () => {
      const { replyId, tweetId } = await seedReply();
      const { logger, lines } = capturingLogger();
      await queue({ logger }).q.record(input(replyId));
      const line = lines.find((l) => l.includes("publish dead-lettered for a later retry"));
      expect(line && JSON.parse(line)).toMatchObject({ trace: tweetId, replyId, status: "pending" });
      await queue({ logger }).q.record(input((await seedReply()).replyId, { retryable: false }));
      expect(lines.some((l) => l.includes("publish dead letter exhausted"))).toBe(true);
    });
  });

  describe("the worker", () => {
    it("hands a failed reply back, due now and flagged for a reconcile, then wakes the publisher and redraws the cards", async () => {
      const { replyId } = await seedReply("failed");
      const entry = await seedEntry(replyId, "pending");
      const { q, calls } = queue();
      expect(await q.runDue()).toEqual({ retried: 1, settled: 0 });
      expect(await entryOf(entry.id)).toMatchObject({ status: "retrying", nextRetryAt: null, updatedAt: NOW });
      expect(await replyOf(replyId)).toMatchObject({ status: "approved", needsReconcile: true, scheduledAt: NOW });
      expect(calls).toEqual({ publisher: 1, changes: 1 });
    });

    it("leaves an entry that is not due yet, and wakes nobody when nothing was done", async () => {
      const { replyId } = await seedReply("failed");
      const entry = await seedEntry(replyId, "pending", { nextRetryAt: at(SECOND) });
      const { q, calls } = queue();
      expect(await q.runDue()).toEqual({ retried: 0, settled: 0 });
      expect((await entryOf(entry.id)).status).toBe("pending");
      expect(calls).toEqual({ publisher: 0, changes: 0 });
    });

    it("settles without a retry an entry whose reply was published, or can never be (rejected, expired, cancelled)", async () => {
      const published = await seedEntry((await seedReply("published")).replyId, "pending");
      const ended = [];
      for (const status of ["rejected", "expired", "cancelled"] as const) ended.push(await seedEntry((await seedReply(status)).replyId, "pending"));
      const { q, calls } = queue();
      expect(await q.runDue()).toEqual({ retried: 0, settled: 0 });
      expect((await entryOf(published.id)).status).toBe("retried_successfully");
      for (const entry of ended) expect(await entryOf(entry.id)).toMatchObject({ status: "discarded", nextRetryAt: null });
      expect(calls).toEqual({ publisher: 0, changes: 0 });
    });

    it("an entry whose reply is already on its way (approved) is marked retrying for the publisher to settle", async () => {
      const { replyId } = await seedReply("approved");
      const entry = await seedEntry(replyId, "pending");
      expect(await queue().q.runDue()).toEqual({ retried: 1, settled: 0 });
      expect((await entryOf(entry.id)).status).toBe("retrying");
    });

    it("while paused hands nothing back: the due entries wait", async () => {
      const { replyId } = await seedReply("failed");
      const entry = await seedEntry(replyId, "pending");
      const { q, calls } = queue({ pause: { isPaused: () => Promise.resolve(true) } });
      expect(await q.runDue()).toEqual({ retried: 0, settled: 0 });
      expect((await entryOf(entry.id)).status).toBe("pending");
      expect((await replyOf(replyId)).status).toBe("failed");
      expect(calls).toEqual({ publisher: 0, changes: 0 });

      const resumed = queue({ pause: { isPaused: () => Promise.resolve(false) } });
      expect(await resumed.q.runDue()).toEqual({ retried: 1, settled: 0 });
    });

    it("settling a stale retrying entry takes the reply's reason and reports one that runs out of retries", async () => {
      const { replyId } = await seedReply("failed");
      const entry = await seedEntry(replyId, "retrying", { retryCount: 2, error: "old reason" });
      const { q, exhausted, calls } = queue();
      expect(await q.runDue()).toEqual({ retried: 0, settled: 1 });
      expect(await entryOf(entry.id)).toMatchObject({ status: "exhausted", retryCount: 3, error: "X answered 503" });
      expect(exhausted.map((e) => e.id)).toEqual([entry.id]);
      expect(calls).toEqual({ publisher: 1, changes: 1 });
    });

    it("takes more than one batch in a run", async () => {
      const ids = [];
      for (let i = 0; i < 101; i++) {
        const { replyId } = await seedReply("failed");
        ids.push((await seedEntry(replyId, "pending")).id);
      }
      expect(await queue().q.runDue()).toEqual({ retried: 101, settled: 0 });
    });
  });

  describe("the admin side", () => {
    it("Retry now of an entry whose reply has another open entry is refused with a reason", async () => {
      const { replyId } = await seedReply("failed");
      const old = await seedEntry(replyId, "exhausted", { nextRetryAt: null });
      await seedEntry(replyId, "pending");
      expect(await queue().q.retryNow(old.id)).toEqual({ ok: false, message: `Reply of #${old.id} already has an open dead letter.` });
      expect((await entryOf(old.id)).status).toBe("exhausted");
    });

    it("Retry now of an entry being retried is refused with the verb", async () => {
      const { replyId } = await seedReply("approved");
      const entry = await seedEntry(replyId, "retrying");
      expect(await queue().q.retryNow(entry.id)).toEqual({ ok: false, message: `#${entry.id} is being retried right now; nothing to retry.` });
    });

    it("Retry now makes the entry due now and its run's failure is logged, not thrown", async () => {
      const { replyId } = await seedReply("failed");
      const entry = await seedEntry(replyId, "exhausted", { nextRetryAt: null, updatedAt: at(-SECOND) });
      const { logger, lines } = capturingLogger();
      const { q } = queue({ logger, onChange: () => Promise.reject(new Error("telegram down")) });
      const result = await q.retryNow(entry.id);
      expect(result).toMatchObject({ ok: true, entry: { status: "pending", nextRetryAt: NOW, updatedAt: NOW } });
      await expect(result.done).rejects.toThrow("telegram down");
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines.some((line) => line.includes("dead-letter retry run failed"))).toBe(true);
    });

    it("Discard redraws the cards, and a failed redraw is logged, not thrown", async () => {
      const { replyId } = await seedReply("failed");
      const entry = await seedEntry(replyId, "pending");
      const { logger, lines } = capturingLogger();
      let changes = 0;
      const { q } = queue({
        logger,
        onChange: () => {
          changes++;
          return Promise.reject(new Error("telegram down"));
        },
      });
      expect(await q.discard(entry.id)).toMatchObject({ ok: true, entry: { status: "discarded", nextRetryAt: null, updatedAt: NOW } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(changes).toBe(1);
      expect(lines.some((line) => line.includes("cards not redrawn after a discard"))).toBe(true);
    });

    it("refuses a missing entry and a finished one, by its status, for both buttons; an empty queue counts zeros", async () => {
      const { replyId } = await seedReply("failed");
      const entry = await seedEntry(replyId, "discarded", { nextRetryAt: null });
      const { q } = queue();
      expect(await q.summary()).toEqual({ pending: 0, retrying: 0, retried_successfully: 0, exhausted: 0, discarded: 1 });
      await db().delete(deadLetters);
      expect(await q.summary()).toEqual({ pending: 0, retrying: 0, retried_successfully: 0, exhausted: 0, discarded: 0 });
      const again = await seedEntry(replyId, "discarded", { nextRetryAt: null });
      expect(await q.discard(again.id)).toEqual({ ok: false, message: "Already discarded." });
      expect(await q.retryNow(again.id)).toEqual({ ok: false, message: "Already discarded." });
      expect(await q.discard(entry.id)).toEqual({ ok: false, message: `There is no dead letter #${entry.id}.` });
      expect(await q.retryNow(entry.id)).toEqual({ ok: false, message: `There is no dead letter #${entry.id}.` });
    });

    it("logs an admin's retry and discard under the reply's trace", async () => {
      const a = await seedReply("failed");
      const b = await seedReply("failed");
      const retried = await seedEntry(a.replyId, "exhausted", { nextRetryAt: null });
      const discarded = await seedEntry(b.replyId, "pending", { nextRetryAt: at(60 * SECOND) });
      const { logger, lines } = capturingLogger();
      const { q } = queue({ logger });
      await (await q.retryNow(retried.id)).done;
      await q.discard(discarded.id);
      const line = (message: string) => JSON.parse(lines.find((l) => l.includes(message)) ?? "{}") as Record<string, unknown>;
      expect(line("dead letter retried by an admin")).toMatchObject({ trace: a.tweetId, deadLetter: retried.id, replyId: a.replyId });
      expect(line("dead letter discarded by an admin")).toMatchObject({ trace: b.tweetId, deadLetter: discarded.id, replyId: b.replyId });
    });

    it("lists retrying first, then pending by next retry, then exhausted newest first; never settled or discarded ones", async () => {
      const later = await seedEntry((await seedReply()).replyId, "pending", { nextRetryAt: at(2 * SECOND) });
      const sooner = await seedEntry((await seedReply()).replyId, "pending", { nextRetryAt: at(SECOND) });
      const olderExhausted = await seedEntry((await seedReply()).replyId, "exhausted", { nextRetryAt: null, updatedAt: at(-2 * SECOND) });
      const newerExhausted = await seedEntry((await seedReply()).replyId, "exhausted", { nextRetryAt: null, updatedAt: at(-SECOND) });
      const retrying = await seedEntry((await seedReply()).replyId, "retrying", { nextRetryAt: null });
      await seedEntry((await seedReply()).replyId, "discarded", { nextRetryAt: null });
      await seedEntry((await seedReply()).replyId, "retried_successfully", { nextRetryAt: null });
      const list = await queue().q.list(10);
      expect(list.map((e) => e.id)).toEqual([retrying.id, sooner.id, later.id, newerExhausted.id, olderExhausted.id]);
      expect(list[0]).toMatchObject({ accountLabel: "main", accountUsername: null });
      expect(await queue().q.summary()).toEqual({ pending: 2, retrying: 1, retried_successfully: 1, exhausted: 2, discarded: 1 });
    });
  });

  describe("discardDeadLetters", () => {
    it("closes the open and exhausted entries of the given replies only, and nothing for no replies", async () => {
      const a = await seedReply();
      const b = await seedReply();
      const c = await seedReply();
      const open = await seedEntry(a.replyId, "pending");
      const given = await seedEntry(a.replyId, "exhausted", { nextRetryAt: null });
      const done = await seedEntry(a.replyId, "retried_successfully", { nextRetryAt: null });
      const retrying = await seedEntry(c.replyId, "retrying");
      const other = await seedEntry(b.replyId, "pending");
      expect(await discardDeadLetters(db(), [], NOW)).toBe(0);
      expect(await discardDeadLetters(db(), [a.replyId, c.replyId], at(SECOND))).toBe(3);
      for (const closed of [open, given, retrying]) {
        expect(await entryOf(closed.id)).toMatchObject({ status: "discarded", nextRetryAt: null, updatedAt: at(SECOND) });
      }
      expect((await entryOf(done.id)).status).toBe("retried_successfully");
      expect((await entryOf(other.id)).status).toBe("pending");
    });
  });

  it("the queue's clock defaults to the wall clock", async () => {
    const { replyId } = await seedReply();
    const before = Date.now();
    const entry = await createDeadLetters({ db: db(), logger: silentLogger(), settings: SETTINGS, onChange: () => Promise.resolve() }).record(input(replyId));
    expect(entry.updatedAt.getTime()).toBeGreaterThanOrEqual(before - SECOND);
    expect(entry.updatedAt.getTime()).toBeLessThanOrEqual(Date.now() + SECOND);
  });
});
