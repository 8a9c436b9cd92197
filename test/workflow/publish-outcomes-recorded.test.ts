/**
 * The outcome recorder on its own (the publisher tests run it end to end): what each outcome writes beside the
 * reply (its event, its dead letter, the post's new text), whom it tells, and that an attempt whose claim was
 * taken over writes and tells nothing.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deadLetters, posts, workflowEvents, xAccounts } from "../../src/db/schema.js";
import { createDeadLetters, type DeadLetter } from "../../src/workflow/dead-letters.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { publishRetryDelayMs } from "../../src/workflow/publish/decide-outcome.js";
import { createOutcomeRecorder } from "../../src/workflow/publish/record-outcome.js";
import type { Claim } from "../../src/workflow/replies/claim-replies.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { claimOne } from "../support/publish-fixture.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";
import { replies } from "../../src/db/schema.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const BASE_MS = 30_000;
const SETTINGS = { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 3 };

describe.each(databaseTargets())("writing a publish outcome ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let seq = 0;

  async function setup(opts: { queue?: boolean } = {}) {
    const [account] = await db().insert(xAccounts).values({ label: `acct-${++seq}` }).returning();
    const notices: WorkflowNotice[] = [];
    const exhausted: DeadLetter[] = [];
    const { logger, lines } = capturingLogger();
    const queue = opts.queue
      ? createDeadLetters({ db: db(), logger: silentLogger(), settings: SETTINGS, now: () => NOW, onExhausted: (e) => exhausted.push(e), onChange: () => Promise.resolve() })
      : undefined;
    const outcomes = createOutcomeRecorder({ db: db(), logger, now: () => NOW, retryBaseMs: BASE_MS, deadLetters: queue, notify: (n) => notices.push(n), completionLingerMs: 0 });
    const claim = async (extra: Partial<typeof replies.$inferInsert> = {}): Promise<Claim> => {
      const tweetId = `66${++seq}`;
      await db().insert(posts).values({ tweetId, authorId: "2", text: "old text", source: "mention", sourceDetail: "m", accountId: account!.id, answerable: true, state: "drafted" });
      await db()
        .insert(replies)
        .values({ postTweetId: tweetId, status: "approved", draft: "Hi.", weightedLength: 3, expiresAt: new Date(NOW.getTime() + 3_600_000), scheduledAt: NOW, ...extra });
      const taken = await claimOne(db(), { accountId: account!.id, now: NOW, leaseSeconds: 120 });
      if (!taken) throw new Error("nothing claimed");
      return taken;
    };
    /** The claim as a worker whose lease was taken over holds it. */
    const lostClaim = (held: Claim): Claim => ({ ...held, attemptId: "00000000-0000-4000-8000-0000000000ff" });
    const events = async (replyId: number) => (await db().select().from(workflowEvents).where(eq(workflowEvents.replyId, replyId))).map((e) => e.kind);
    const entries = async (replyId: number) => db().select().from(deadLetters).where(eq(deadLetters.replyId, replyId));
    return { outcomes, claim, lostClaim, notices, exhausted, lines, events, entries };
  }

  it("a failure is dead-lettered with its note's error (or the reason), counted once in /stats and told as publication_failed", async () => {
    const { outcomes, claim, notices, events, entries, exhausted } = await setup({ queue: true });
    const first = await claim();
    expect(await outcomes.failed(first, "gave up: 503", { error: "X answered 503", errorType: "server_error", retryable: true })).toBe(true);
    expect(await findReply(db(), first.reply.id)).toMatchObject({ status: "failed", failureReason: "gave up: 503" });
    expect(await entries(first.reply.id)).toMatchObject([{ status: "pending", error: "X answered 503", errorType: "server_error", retryable: true, retryCount: 0 }]);
    expect(await events(first.reply.id)).toEqual(["failed"]);
    expect(notices).toEqual([{ kind: "publication_failed", replyId: first.reply.id, reason: "gave up: 503", retryable: true }]);

    const deleted = await claim();
    await outcomes.failed(deleted, "the post was deleted", { errorType: "deleted_post", retryable: false });
    expect(await entries(deleted.reply.id)).toMatchObject([{ status: "exhausted", error: "the post was deleted", retryable: false }]);
    // The exhausted alert is raised once the transaction is committed, not before.
    expect(exhausted.map((e) => e.replyId)).toEqual([deleted.reply.id]);
    expect(notices.at(-1)).toEqual({ kind: "publication_failed", replyId: deleted.reply.id, reason: "the post was deleted", retryable: false });
  });

  it("a failed dead-letter retry is the same failure again: no second failed event", async () => {
    const { outcomes, claim, events, entries } = await setup({ queue: true });
    const first = await claim();
    await outcomes.failed(first, "503", { errorType: "server_error", retryable: true });
    await db().update(replies).set({ status: "approved", scheduledAt: NOW }).where(eq(replies.id, first.reply.id));
    const again = await claimOne(db(), { accountId: first.accountId, now: NOW, leaseSeconds: 120 });
    await outcomes.failed(again!, "503 again", { errorType: "server_error", retryable: true });
    expect(await entries(first.reply.id)).toMatchObject([{ retryCount: 1, error: "503 again" }]);
    expect(await events(first.reply.id)).toEqual(["failed"]);
  });

  it("without a dead-letter queue a failure is still counted and told", async () => {
    const { outcomes, claim, events, notices } = await setup();
    const held = await claim();
    expect(await outcomes.failed(held, "no", { errorType: "forbidden", retryable: false })).toBe(true);
    expect(await events(held.reply.id)).toEqual(["failed"]);
    expect(notices).toHaveLength(1);
  });

  it("an outcome that arrives after the claim was lost writes nothing, tells nobody, and is logged with its trace", async () => {
    const { outcomes, claim, lostClaim, notices, events, entries, lines } = await setup({ queue: true });
    const held = await claim();
    const stale = lostClaim(held);
    expect(await outcomes.failed(stale, "late", { errorType: "server_error", retryable: true })).toBe(false);
    expect(await outcomes.cancelled(stale, "late")).toBe(false);
    expect(await outcomes.postEdited(stale, { newText: "new", reason: "late" })).toBe(false);
    expect(await outcomes.retryLater(stale, "late", { ambiguous: true })).toBe(false);
    expect(await findReply(db(), held.reply.id)).toMatchObject({ status: "publishing", attemptId: held.attemptId });
    expect(await events(held.reply.id)).toEqual([]);
    expect(await entries(held.reply.id)).toEqual([]);
    expect(notices).toEqual([]);
    const lost = lines.filter((line) => line.includes("publish outcome arrived after the claim was lost"));
    expect(lost).toHaveLength(4);
    expect(lost[0]).toContain(`"trace":"${held.reply.postTweetId}"`);
    expect(lost[0]).toContain(`"attemptId":"${stale.attemptId}"`);
  });

  it("an opt-out cancels the claimed reply and closes its dead letter", async () => {
    const { outcomes, claim, entries } = await setup({ queue: true });
    const held = await claim();
    await outcomes.failed(held, "503", { errorType: "server_error", retryable: true });
    await db().update(replies).set({ status: "approved", scheduledAt: NOW }).where(eq(replies.id, held.reply.id));
    const again = (await claimOne(db(), { accountId: held.accountId, now: NOW, leaseSeconds: 120 }))!;
    expect(await outcomes.cancelled(again, "@alice opted out")).toBe(true);
    expect(await findReply(db(), held.reply.id)).toMatchObject({ status: "cancelled", failureReason: "@alice opted out" });
    expect((await entries(held.reply.id)).map((e) => e.status)).toEqual(["discarded"]);
  });

  it("an edited post stores the new text, sends the reply back for review and closes its dead letter", async () => {
    const { outcomes, claim, entries } = await setup({ queue: true });
    const held = await claim();
    await outcomes.failed(held, "503", { errorType: "server_error", retryable: true });
    await db().update(replies).set({ status: "approved", scheduledAt: NOW }).where(eq(replies.id, held.reply.id));
    const again = (await claimOne(db(), { accountId: held.accountId, now: NOW, leaseSeconds: 120 }))!;
    expect(await outcomes.postEdited(again, { newText: "the new text", reason: "edited on X" })).toBe(true);
    expect(await findReply(db(), held.reply.id)).toMatchObject({ status: "awaiting_approval", failureReason: "edited on X" });
    const [post] = await db().select().from(posts).where(eq(posts.tweetId, held.reply.postTweetId));
    expect(post?.text).toBe("the new text");
    expect((await entries(held.reply.id)).map((e) => e.status)).toEqual(["discarded"]);
  });

  it("a retry is due after the backoff of its attempt by default, or at the time given; uncounted gives the attempt back", async () => {
    const { outcomes, claim } = await setup();
    const held = await claim({ attemptCount: 2 });
    expect(await outcomes.retryLater(held, "503", { ambiguous: false })).toBe(true);
    expect(await findReply(db(), held.reply.id)).toMatchObject({
      status: "approved",
      scheduledAt: new Date(NOW.getTime() + publishRetryDelayMs(3, BASE_MS)),
      needsReconcile: false,
      attemptCount: 3,
    });
    expect(publishRetryDelayMs(3, BASE_MS)).toBe(120_000);

    const other = await claim();
    const at = new Date(NOW.getTime() + 5_000);
    await outcomes.retryLater(other, "down", { ambiguous: true, at, uncounted: true });
    expect(await findReply(db(), other.reply.id)).toMatchObject({ scheduledAt: at, needsReconcile: true, attemptCount: 0 });
  });

  it("a publish is written, logged with its account and how, and a dead-lettered one settles its entry", async () => {
    const { outcomes, claim, lines, entries } = await setup({ queue: true });
    const held = await claim();
    await outcomes.failed(held, "503", { errorType: "server_error", retryable: true });
    await db().update(replies).set({ status: "approved", scheduledAt: NOW }).where(eq(replies.id, held.reply.id));
    const again = (await claimOne(db(), { accountId: held.accountId, now: NOW, leaseSeconds: 120 }))!;
    expect(await outcomes.published(again, "9001", "reconciled")).toBe(true);
    expect(await findReply(db(), held.reply.id)).toMatchObject({ status: "published", replyTweetId: "9001" });
    expect((await entries(held.reply.id)).map((e) => e.status)).toEqual(["retried_successfully"]);
    const published = lines.find((line) => line.includes('"msg":"reply published"'));
    expect(published).toContain('"how":"reconciled"');
    expect(published).toContain(`"accountId":${held.accountId}`);
    expect(lines.some((line) => line.includes("dead-lettered reply published on retry"))).toBe(true);
    expect(await outcomes.published(again, "9002", "posted")).toBe(false);
  });
});
