/**
 * The reply moves of workflow/replies/: each one is a guarded UPDATE that checks REPLY_TRANSITIONS,
 * applies once, and is the only place in src/ that writes the replies table.
 */
import { claimOne } from "../support/publish-fixture.js";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { posts, publishAttempts, replies, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { markCardDrawn } from "../../src/workflow/replies/card-state.js";
import { explainFailure } from "../../src/workflow/replies/explain-failure.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { releaseClaims } from "../../src/workflow/replies/release-claims.js";
import { requeueFailedReply } from "../../src/workflow/replies/requeue-failed.js";
import { assertTransition, transitionReply } from "../../src/workflow/replies/transition.js";
import { REPLY_TRANSITIONS } from "../../src/workflow/reply-states.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const STATUSES = Object.keys(REPLY_TRANSITIONS) as ReplyStatus[];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("reply moves", () => {
  let database: TestDatabase;
  let accountId: number;
  let seq = 0;
  const db = () => database.handle.db;

  beforeAll(async () => {
    database = await createPgliteTestDatabase();
  });
  afterAll(async () => {
    await database.dispose();
  });
  beforeEach(async () => {
    await clearWorkflowTables(db());
    const [account] = await db().insert(xAccounts).values({ label: "main" }).returning();
    accountId = account!.id;
  });

  async function seed(status: ReplyStatus, extra: Partial<typeof replies.$inferInsert> = {}) {
    seq++;
    const tweetId = `77${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, accountId, status, draft: "Hello.", weightedLength: 6, expiresAt: NOW, ...extra })
      .returning();
    return reply!;
  }

  it("only src/workflow/replies/ writes the replies table", () => {
    const root = join(import.meta.dirname, "../../src");
    const writers = sourceFiles(root)
      .filter((path) => /\.(update|insert)\(replies\)/.test(readFileSync(path, "utf8")))
      .map((path) => relative(root, path));
    expect(writers.length).toBeGreaterThan(0);
    expect(writers.filter((path) => !path.startsWith("workflow/replies/"))).toEqual([]);
  });

  it("refuses every move REPLY_TRANSITIONS does not list, before writing anything", async () => {
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        const allowed = (REPLY_TRANSITIONS[from] as readonly ReplyStatus[]).includes(to);
        if (allowed) expect(() => assertTransition(from, to)).not.toThrow();
        else expect(() => assertTransition(from, to)).toThrow(`reply status cannot move from ${from} to ${to}`);
      }
    }
    const reply = await seed("published");
    await expect(transitionReply(db(), reply.id, "published", "approved")).rejects.toThrow(/cannot move/);
    expect(await findReply(db(), reply.id)).toMatchObject({ status: "published", version: reply.version });
  });

  it("a move applies once: the second try finds the reply no longer in its from-status", async () => {
    const reply = await seed("failed");
    expect(await requeueFailedReply(db(), reply.id, NOW)).toMatchObject({ status: "approved", needsReconcile: true, scheduledAt: NOW, version: reply.version + 1 });
    expect(await requeueFailedReply(db(), reply.id, NOW)).toBeUndefined();
    expect((await findReply(db(), reply.id))?.version).toBe(reply.version + 1);
  });

  it("claim takes the due approved reply first by priority, then approval time, then id, with a lease and an attempt row", async () => {
    const minute = (n: number) => new Date(NOW.getTime() + n * 60_000);
    const due = { scheduledAt: minute(-1) };
    const searchFirstApproved = await seed("approved", { ...due, priority: 2, decidedAt: minute(-30) });
    const mentionLater = await seed("approved", { ...due, priority: 0, decidedAt: minute(-5) });
    const mentionEarlier = await seed("approved", { ...due, priority: 0, decidedAt: minute(-10), accountId: null });
    const target = await seed("approved", { ...due, priority: 1, decidedAt: minute(-20) });
    await seed("approved", { scheduledAt: minute(1), priority: 0, decidedAt: minute(-60) });

    const claim = await claimOne(db(), { accountId, now: NOW, leaseSeconds: 120 });
    expect(claim).toMatchObject({ accountId });
    expect(claim?.reply).toMatchObject({
      id: mentionEarlier.id,
      status: "publishing",
      accountId,
      attemptCount: 1,
      attemptId: claim?.attemptId,
      leaseUntil: new Date(NOW.getTime() + 120_000),
      version: mentionEarlier.version + 1,
    });
    const attempts = await db().select().from(publishAttempts).where(eq(publishAttempts.replyId, mentionEarlier.id));
    expect(attempts).toMatchObject([{ id: claim?.attemptId, accountId, startedAt: NOW, outcome: null }]);
    const next = async () => (await claimOne(db(), { accountId, now: NOW, leaseSeconds: 120 }))?.reply.id;
    expect([await next(), await next(), await next()]).toEqual([mentionLater.id, target.id, searchFirstApproved.id]);
    expect(await claimOne(db(), { accountId, now: NOW, leaseSeconds: 120 })).toBeUndefined();
  });

  it("claim skips replies bound to another account and ambiguous ones pinned to another account", async () => {
    const [other] = await db().insert(xAccounts).values({ label: "other" }).returning();
    const due = { scheduledAt: new Date(NOW.getTime() - 60_000) };
    const boundElsewhere = await seed("approved", { ...due, boundAccountId: other!.id, accountId: other!.id });
    const pinnedElsewhere = await seed("approved", { ...due, accountId: other!.id, needsReconcile: true, attemptCount: 1 });
    const wasOthersFree = await seed("approved", { ...due, accountId: other!.id, attemptCount: 1 });
    const boundHere = await seed("approved", { ...due, boundAccountId: accountId });

    const ids = [];
    for (let claim = await claimOne(db(), { accountId, now: NOW, leaseSeconds: 120 }); claim; ) {
      ids.push(claim.reply.id);
      claim = await claimOne(db(), { accountId, now: NOW, leaseSeconds: 120 });
    }
    expect(ids).toEqual([wasOthersFree.id, boundHere.id]);
    expect((await claimOne(db(), { accountId: other!.id, now: NOW, leaseSeconds: 120 }))?.reply.id).toBe(boundElsewhere.id);
    expect((await claimOne(db(), { accountId: other!.id, now: NOW, leaseSeconds: 120 }))?.reply.id).toBe(pinnedElsewhere.id);
  });

  it("release frees expired leases only, or every claim at boot, each to be reconciled", async () => {
    const expired = await seed("publishing", { leaseUntil: new Date(NOW.getTime() - 1), attemptId: "00000000-0000-4000-8000-00000000000a" });
    const live = await seed("publishing", { leaseUntil: new Date(NOW.getTime() + 60_000), attemptId: "00000000-0000-4000-8000-00000000000b" });

    expect(await releaseClaims(db(), { all: false, now: NOW })).toEqual([expired.id]);
    expect(await findReply(db(), expired.id)).toMatchObject({ status: "approved", needsReconcile: true, leaseUntil: null });
    expect((await findReply(db(), live.id))?.status).toBe("publishing");
    expect(await releaseClaims(db(), { all: true, now: NOW })).toEqual([live.id]);
  });

  it("a failure's reason is rewritten only while the reply is failed; a card version never goes back", async () => {
    const failed = await seed("failed");
    const approved = await seed("approved");
    await explainFailure(db(), failed.id, "gave up after 5 retries: X answered 503");
    await explainFailure(db(), approved.id, "nope");
    expect(await findReply(db(), failed.id)).toMatchObject({ failureReason: "gave up after 5 retries: X answered 503", version: failed.version + 1 });
    expect(await findReply(db(), approved.id)).toMatchObject({ failureReason: null, version: approved.version });

    await markCardDrawn(db(), approved.id, 42, 5);
    await markCardDrawn(db(), approved.id, 42, 3);
    expect(await findReply(db(), approved.id)).toMatchObject({ cardMessageId: 42, cardVersion: 5 });
  });
});
