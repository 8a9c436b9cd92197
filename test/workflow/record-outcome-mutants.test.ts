/**
 * The outcome recorder's side effects that publish-outcomes-recorded.test.ts leaves open: what each outcome logs
 * (with the post's trace, only when it was written), a recorder without a notice sink, and a completion that a
 * lane's batch end flushes before its linger runs out.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import { createDeadLetters } from "../../src/workflow/dead-letters.js";
import { createOutcomeRecorder } from "../../src/workflow/publish/record-outcome.js";
import type { Claim } from "../../src/workflow/replies/claim-replies.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { claimOne } from "../support/publish-fixture.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;

/** The parsed log lines with this message. */
function logged(lines: readonly string[], msg: string): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === msg);
}

describe.each(databaseTargets())("what a publish outcome logs ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let seq = 0;

  async function setup(opts: { queue?: boolean; notify?: boolean; lingerMs?: number } = {}) {
    const [account] = await db().insert(xAccounts).values({ label: `log-${++seq}` }).returning();
    const { logger, lines } = capturingLogger();
    const queue = opts.queue
      ? createDeadLetters({
          db: db(),
          logger: silentLogger(),
          settings: { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 3 },
          now: () => NOW,
          onChange: () => Promise.resolve(),
        })
      : undefined;
    const notices: unknown[] = [];
    const outcomes = createOutcomeRecorder({
      db: db(),
      logger,
      now: () => NOW,
      retryBaseMs: 30_000,
      deadLetters: queue,
      notify: opts.notify === false ? undefined : (n) => notices.push(n),
      completionLingerMs: opts.lingerMs ?? 0,
    });
    const claim = async (): Promise<Claim> => {
      const tweetId = `77${++seq}`;
      await db().insert(posts).values({ tweetId, authorId: "2", text: "old", source: "mention", sourceDetail: "m", accountId: account!.id, answerable: true, state: "drafted" });
      await db()
        .insert(replies)
        .values({ postTweetId: tweetId, status: "approved", draft: "Hi.", weightedLength: 3, expiresAt: new Date(NOW.getTime() + HOUR), scheduledAt: NOW });
      const taken = await claimOne(db(), { accountId: account!.id, now: NOW, leaseSeconds: 120 });
      if (!taken) throw new Error("nothing claimed");
      return taken;
    };
    const lostClaim = (held: Claim): Claim => ({ ...held, attemptId: "00000000-0000-4000-8000-0000000000ee" });
    return { outcomes, claim, lostClaim, lines, notices };
  }

  it("a publish is logged with its trace; only one that settled a dead letter says it was published on retry", async () => {
    const { outcomes, claim, lines } = await setup({ queue: true });
    const plain = await claim();
    expect(await outcomes.published(plain, "5001", "posted")).toBe(true);
    expect(logged(lines, "reply published")).toMatchObject([{ trace: plain.reply.postTweetId, replyId: plain.reply.id, tweetId: "5001", how: "posted" }]);
    expect(logged(lines, "dead-lettered reply published on retry")).toEqual([]);

    const retried = await claim();
    await outcomes.failed(retried, "503", { errorType: "server_error", retryable: true });
    await db().update(replies).set({ status: "approved", scheduledAt: NOW }).where(eq(replies.id, retried.reply.id));
    const again = (await claimOne(db(), { accountId: retried.accountId, now: NOW, leaseSeconds: 120 }))!;
    await outcomes.published(again, "5002", "posted");
    expect(logged(lines, "dead-lettered reply published on retry")).toMatchObject([{ trace: retried.reply.postTweetId, replyId: retried.reply.id }]);
  });

  it("a failure is logged with its reason; a recorder without a notice sink still writes it", async () => {
    const { outcomes, claim, lines } = await setup({ notify: false });
    const held = await claim();
    expect(await outcomes.failed(held, "gave up: 503", { errorType: "server_error", retryable: true })).toBe(true);
    expect(await findReply(db(), held.reply.id)).toMatchObject({ status: "failed", failureReason: "gave up: 503" });
    expect(logged(lines, "reply publish failed")).toMatchObject([
      { level: 40, trace: held.reply.postTweetId, replyId: held.reply.id, reason: "gave up: 503", retryable: true },
    ]);
  });

  it("a cancel, an edited post and a retry are logged with their trace when written, and not when the claim was lost", async () => {
    const { outcomes, claim, lostClaim, lines } = await setup();
    const cancelled = await claim();
    const edited = await claim();
    const retried = await claim();

    expect(await outcomes.cancelled(lostClaim(cancelled), "late")).toBe(false);
    expect(await outcomes.postEdited(lostClaim(edited), { newText: "late", reason: "late" })).toBe(false);
    expect(logged(lines, "reply cancelled before posting")).toEqual([]);
    expect(logged(lines, "post edited on X; reply back for review")).toEqual([]);

    await outcomes.cancelled(cancelled, "@bob opted out");
    await outcomes.postEdited(edited, { newText: "new", reason: "edited on X" });
    const at = new Date(NOW.getTime() + 5_000);
    await outcomes.retryLater(retried, "X answered 503", { ambiguous: true, at });
    expect(logged(lines, "reply cancelled before posting")).toMatchObject([
      { trace: cancelled.reply.postTweetId, replyId: cancelled.reply.id, reason: "@bob opted out" },
    ]);
    expect(logged(lines, "post edited on X; reply back for review")).toMatchObject([{ trace: edited.reply.postTweetId, replyId: edited.reply.id }]);
    expect(logged(lines, "reply publish retried later")).toMatchObject([
      { trace: retried.reply.postTweetId, replyId: retried.reply.id, at: at.toISOString(), ambiguous: true, error: "X answered 503" },
    ]);
  });

  it("a completion waiting for its group is written as soon as the lane flushes, not when the linger runs out", async () => {
    const { outcomes, claim } = await setup({ lingerMs: HOUR });
    const held = await claim();
    const pending = outcomes.published(held, "5003", "posted");
    outcomes.flushCompletions();
    expect(await Promise.race([pending, sleep(5_000).then(() => "still waiting")])).toBe(true);
    expect(await findReply(db(), held.reply.id)).toMatchObject({ status: "published", replyTweetId: "5003" });
  });
});
