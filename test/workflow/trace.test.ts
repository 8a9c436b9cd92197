import { randomUUID } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deadLetters, posts, publishAttempts, replies, xAccounts } from "../../src/db/schema.js";
import { recordEvent, type WorkflowEventKind } from "../../src/workflow/stats.js";
import { createTraceView, type TraceView } from "../../src/workflow/trace.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const POST = "1800000000000000001";
const OTHER = "1800000000000000002";
const PUBLISHED = "1800000000000000099";
const ADMIN = 1001;
/** Minute `m` after the start of the story. */
const at = (m: number): Date => new Date(Date.UTC(2025, 2, 10, 14, m, 0));

describe.each(databaseTargets())("the timeline of one post on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let view: TraceView;

  beforeAll(() => {
    view = createTraceView(db());
  });

  beforeEach(async () => {
    const d = db();
    const [main] = await d.insert(xAccounts).values({ label: "main" }).returning();
    const [second] = await d.insert(xAccounts).values({ label: "second" }).returning();
    const post = { authorId: "42", authorUsername: "alice", text: "what about traces?", accountId: main!.id, answerable: true };
    await d.insert(posts).values([
      { ...post, tweetId: POST, source: "mention", sourceDetail: "@replyguy", state: "drafted", discoveredAt: at(0), gateCheckedAt: at(1), gateScore: 0.8, gateReason: "on topic" },
      { ...post, tweetId: OTHER, source: "search", sourceDetail: "traces", state: "skipped", skipReason: "off_topic", discoveredAt: at(0) },
    ]);
    const [reply] = await d
      .insert(replies)
      .values({
        postTweetId: POST,
        status: "published",
        draft: "They help.",
        weightedLength: 10,
        model: "gpt-4o-mini",
        cardMessageId: 77,
        decidedBy: ADMIN,
        decidedAt: at(4),
        scheduledAt: at(5),
        replyTweetId: PUBLISHED,
        publishedAt: at(9),
        accountId: second!.id,
        expiresAt: at(600),
        createdAt: at(2),
      })
      .returning();
    const replyId = reply!.id;
    const events: [WorkflowEventKind, Date, { replyId?: number; postTweetId?: string; actor?: number }][] = [
      ["published", at(9), { replyId }],
      ["discovered", at(0), { postTweetId: POST }],
      ["drafted", at(2), { replyId, postTweetId: POST }],
      ["regenerated", at(3), { replyId, actor: ADMIN }],
      ["approved", at(4), { replyId, actor: ADMIN }],
      ["failed", at(6), { replyId }],
      // Another post's story must not leak in.
      ["discovered", at(0), { postTweetId: OTHER }],
      ["skipped", at(0), { postTweetId: OTHER }],
    ];
    for (const [kind, when, ids] of events) await recordEvent(d, { kind, at: when, ...ids });
    await d.insert(publishAttempts).values([
      { id: randomUUID(), replyId, accountId: second!.id, startedAt: at(8), finishedAt: at(9), outcome: "posted", tweetId: PUBLISHED },
      { id: randomUUID(), replyId, accountId: main!.id, startedAt: at(5), finishedAt: at(6), outcome: "failed", error: "X answered 503" },
    ]);
    await d.insert(deadLetters).values({
      replyId,
      accountId: main!.id,
      error: "X answered 503",
      errorType: "server_error",
      retryable: true,
      status: "retried_successfully",
      retryCount: 1,
      nextRetryAt: null,
      createdAt: at(7),
      updatedAt: at(9),
    });
  });

  it("reads the post, its reply and every step, oldest first", async () => {
    const timeline = await view.timeline(POST);
    expect(timeline?.post).toEqual({
      tweetId: POST,
      authorUsername: "alice",
      authorId: "42",
      text: "what about traces?",
      source: "mention",
      sourceDetail: "@replyguy",
      state: "drafted",
      skipReason: null,
      discoveredAt: at(0),
      accountLabel: "main",
    });
    expect(timeline?.reply).toEqual({
      id: expect.any(Number),
      status: "published",
      model: "gpt-4o-mini",
      createdAt: at(2),
      cardMessageId: 77,
      decidedBy: ADMIN,
      decidedAt: at(4),
      scheduledAt: at(5),
      publishedAt: at(9),
      replyTweetId: PUBLISHED,
      failureReason: null,
      url: `https://x.com/i/web/status/${PUBLISHED}`,
    });
    expect(timeline?.steps).toEqual([
      { kind: "event", at: at(0), event: "discovered", actor: null },
      { kind: "gate", at: at(1), score: 0.8, reason: "on topic" },
      { kind: "event", at: at(2), event: "drafted", actor: null },
      { kind: "event", at: at(3), event: "regenerated", actor: ADMIN },
      { kind: "event", at: at(4), event: "approved", actor: ADMIN },
      { kind: "attempt", at: at(5), accountLabel: "main", finishedAt: at(6), outcome: "failed", error: "X answered 503" },
      { kind: "event", at: at(6), event: "failed", actor: null },
      {
        kind: "dead_letter",
        at: at(7),
        id: expect.any(Number),
        status: "retried_successfully",
        retryCount: 1,
        nextRetryAt: null,
        errorType: "server_error",
        error: "X answered 503",
      },
      { kind: "attempt", at: at(8), accountLabel: "second", finishedAt: at(9), outcome: "posted", error: null },
      { kind: "event", at: at(9), event: "published", actor: null },
    ]);
  });

  it("reads a skipped post without a reply: only its own steps", async () => {
    const timeline = await view.timeline(OTHER);
    expect(timeline?.reply).toBeUndefined();
    expect(timeline?.post).toMatchObject({ state: "skipped", skipReason: "off_topic", source: "search" });
    expect(timeline?.steps.map((step) => (step.kind === "event" ? step.event : step.kind))).toEqual(["discovered", "skipped"]);
  });

  it("reads a reply not on X: no link, its failure reason, and steps at one instant in the order they were written", async () => {
    const d = db();
    const [account] = await d.insert(xAccounts).values({ label: "third" }).returning();
    const tweetId = "1800000000000000003";
    await d.insert(posts).values({ tweetId, authorId: "43", text: "and failures?", accountId: account!.id, answerable: true, source: "mention", sourceDetail: "@replyguy", state: "drafted", discoveredAt: at(0) });
    const [reply] = await d
      .insert(replies)
      .values({ postTweetId: tweetId, status: "failed", draft: "Hm.", weightedLength: 3, failureReason: "X refused the reply", expiresAt: at(600), createdAt: at(1) })
      .returning();
    const replyId = reply!.id;
    // Written out of alphabetical order at one instant: the trace keeps the order they happened in.
    for (const kind of ["drafted", "approved", "failed"] as const) await recordEvent(d, { kind, at: at(2), replyId });
    for (const [errorType, status] of [["rate_limited", "retried_successfully"], ["server_error", "pending"]] as const) {
      await d.insert(deadLetters).values({ replyId, accountId: account!.id, error: "X answered 503", errorType, retryable: true, status, retryCount: 0, createdAt: at(3), updatedAt: at(3) });
    }

    const timeline = await view.timeline(tweetId);
    expect(timeline?.reply).toMatchObject({ status: "failed", replyTweetId: null, failureReason: "X refused the reply", url: null });
    expect(timeline?.post.accountLabel).toBe("third");
    expect(timeline?.steps.map((step) => (step.kind === "event" ? step.event : step.kind === "dead_letter" ? step.errorType : step.kind))).toEqual([
      "drafted",
      "approved",
      "failed",
      "rate_limited",
      "server_error",
    ]);
  });

  it("knows no post by an unknown id", async () => {
    expect(await view.timeline("1800000000000000404")).toBeUndefined();
  });
});
