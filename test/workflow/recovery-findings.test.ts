/**
 * What boot recovery counts before it acts (the recovery report's numbers), on rows: each count takes exactly the
 * replies a crash or an outage left half-done, and a card Telegram refused is not one of them.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { conversationSessions, posts, replies, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { inspectForRecovery } from "../../src/workflow/recovery.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const NOTHING = { interruptedPublishes: 0, cardsNeverSent: 0, cardsOutdated: 0, overdueApproved: 0, conversationsWaiting: 0 };

describe.each(databaseTargets())("what boot recovery finds ($name)", (target) => {
  const db = useTestDatabase(target, async (handle) => {
    await clearWorkflowTables(handle);
    await handle.delete(conversationSessions);
  });
  let seq = 0;

  /** A reply whose card is drawn and up to date unless `extra` says otherwise. */
  async function seed(status: ReplyStatus, extra: Partial<typeof replies.$inferInsert> = {}) {
    const [account] = await db().insert(xAccounts).values({ label: `a${++seq}` }).returning();
    const tweetId = `99${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId: account!.id, answerable: true, state: "drafted" });
    await db()
      .insert(replies)
      .values({ postTweetId: tweetId, status, draft: "Hi.", weightedLength: 3, expiresAt: NOW, version: 2, cardMessageId: 10 + seq, cardVersion: 2, ...extra });
  }

  it("finds nothing in a clean database, nor in replies whose cards are up to date", async () => {
    expect(await inspectForRecovery(db(), NOW)).toEqual(NOTHING);
    await seed("awaiting_approval");
    await seed("published");
    await seed("approved", { scheduledAt: new Date(NOW.getTime() + 1) });
    expect(await inspectForRecovery(db(), NOW)).toEqual(NOTHING);
  });

  it("counts claims left publishing and approved replies due at or before now", async () => {
    await seed("publishing");
    await seed("publishing");
    await seed("approved", { scheduledAt: NOW });
    await seed("approved", { scheduledAt: new Date(NOW.getTime() - 60_000) });
    await seed("awaiting_approval", { scheduledAt: new Date(NOW.getTime() - 60_000) });
    expect(await inspectForRecovery(db(), NOW)).toEqual({ ...NOTHING, interruptedPublishes: 2, overdueApproved: 2 });
  });

  it("counts cards never sent and cards behind their reply, but not one Telegram refused at the current version", async () => {
    await seed("awaiting_approval", { cardMessageId: null, cardVersion: 0 });
    await seed("awaiting_approval", { cardMessageId: null, cardVersion: 0, cardFailedVersion: 2 });
    await seed("awaiting_approval", { cardMessageId: null, cardVersion: 0, cardFailedVersion: 1 });
    await seed("approved", { cardVersion: 1, scheduledAt: new Date(NOW.getTime() + 60_000) });
    await seed("approved", { cardVersion: 1, cardFailedVersion: 2, scheduledAt: new Date(NOW.getTime() + 60_000) });
    await seed("approved", { cardVersion: 1, cardFailedVersion: 1, scheduledAt: new Date(NOW.getTime() + 60_000) });
    expect(await inspectForRecovery(db(), NOW)).toEqual({ ...NOTHING, cardsNeverSent: 2, cardsOutdated: 2 });
  });

  it("counts edit conversations waiting for text, not empty sessions", async () => {
    await db()
      .insert(conversationSessions)
      .values([
        { key: "a", value: { edit: { replyId: 1 } } },
        { key: "b", value: {} },
        { key: "c", value: sql`'null'::jsonb` },
        { key: "d", value: [1] },
      ]);
    expect(await inspectForRecovery(db(), NOW)).toEqual({ ...NOTHING, conversationsWaiting: 2 });
  });
});
