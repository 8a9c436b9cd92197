/**
 * One poisoned dead letter (its handling throws: here the database refuses that one row) does not
 * stop the worker: it is given up with the reason and reported (dlq_exhausted), the others go on.
 */
import { eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { deadLetters, posts, replies, xAccounts } from "../../src/db/schema.js";
import { createDeadLetters, type DeadLetter } from "../../src/workflow/dead-letters.js";
import type { ReplyStatus } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const SETTINGS = { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 5 };

describe.each(databaseTargets())("dead-letter worker isolation ($name)", (target) => {
  // Each test starts without the constraints the last one may have added to poison a row, and from empty tables.
  const db = useTestDatabase(target, async (db) => {
    await db.execute(sql`alter table replies drop constraint if exists poisoned_reply`);
    await db.execute(sql`alter table dead_letters drop constraint if exists poisoned_entry`);
    await clearWorkflowTables(db);
  });
  let accountId: number;

  beforeEach(async () => {
    const [account] = await db().insert(xAccounts).values({ label: "main" }).returning();
    accountId = account!.id;
  });

  /** Replies in `status`, each with a dead letter in `entryStatus`, due now. */
  async function seed(n: number, status: ReplyStatus, entryStatus: "pending" | "retrying") {
    const rows: { replyId: number; entryId: number }[] = [];
    for (let i = 0; i < n; i++) {
      const tweetId = `990${i}`;
      await db()
        .insert(posts)
        .values({ tweetId, authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId, answerable: true, state: "drafted" });
      const [reply] = await db()
        .insert(replies)
        .values({ postTweetId: tweetId, accountId, status, draft: `Hello ${i}.`, weightedLength: 8, expiresAt: NOW, failureReason: "X answered 503" })
        .returning();
      const [entry] = await db()
        .insert(deadLetters)
        .values({
          replyId: reply!.id,
          accountId,
          error: "X answered 503",
          errorType: "server_error",
          retryable: true,
          status: entryStatus,
          nextRetryAt: NOW,
        })
        .returning();
      rows.push({ replyId: reply!.id, entryId: entry!.id });
    }
    return rows;
  }

  function queue(exhausted: DeadLetter[]) {
    return createDeadLetters({
      db: db(),
      logger: silentLogger(),
      settings: SETTINGS,
      now: () => NOW,
      onExhausted: (entry) => exhausted.push(entry),
      onChange: () => Promise.resolve(),
    });
  }

  const replyStatus = async (id: number) => (await db().select().from(replies).where(eq(replies.id, id)))[0]!.status;
  const entry = async (id: number) => (await db().select().from(deadLetters).where(eq(deadLetters.id, id)))[0]!;

  it("a due entry whose retry throws is given up and reported; the entries after it are retried", async () => {
    const [a, poisoned, c] = await seed(3, "failed", "pending");
    await db().execute(sql.raw(`alter table replies add constraint poisoned_reply check (id <> ${poisoned!.replyId} or status <> 'approved')`));
    const exhausted: DeadLetter[] = [];

    expect(await queue(exhausted).runDue()).toMatchObject({ retried: 2 });
    expect(await replyStatus(a!.replyId)).toBe("approved");
    expect(await replyStatus(c!.replyId)).toBe("approved");
    expect(await replyStatus(poisoned!.replyId)).toBe("failed");
    const given = await entry(poisoned!.entryId);
    expect(given).toMatchObject({ status: "exhausted", nextRetryAt: null });
    expect(given.error).toMatch(/^X answered 503; the retry failed: .*poisoned_reply/);
    expect(exhausted.map((e) => e.id)).toEqual([poisoned!.entryId]);
    expect((await entry(a!.entryId)).status).toBe("retrying");
    expect((await entry(c!.entryId)).status).toBe("retrying");
  });

  it("a retrying entry that cannot be settled does not stop the others being settled", async () => {
    const [a, poisoned, c] = await seed(3, "failed", "retrying");
    await db().execute(sql.raw(`alter table dead_letters add constraint poisoned_entry check (id <> ${poisoned!.entryId} or status = 'retrying')`));

    expect(await queue([]).runDue()).toMatchObject({ settled: 3 });
    expect((await entry(a!.entryId)).status).not.toBe("retrying");
    expect((await entry(c!.entryId)).status).not.toBe("retrying");
    expect((await entry(poisoned!.entryId)).status).toBe("retrying");
  });
});
