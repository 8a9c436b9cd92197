/**
 * After a change that matters to a card, the workflow itself wakes the publisher (approve, resume,
 * DLQ retry) and then redraws the cards; the Telegram features only answer. Here the review
 * actions, the pause switch and the dead-letter queue are driven directly on a real database, and
 * the order of their effects is recorded.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Drafter } from "../../src/ai/types.js";
import { deadLetters, posts, replies, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { createDeadLetters } from "../../src/workflow/dead-letters.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { createReview } from "../../src/workflow/review.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const ADA = 1001;

const drafter: Drafter = {
  draft: () => Promise.resolve({ text: "A new take.", weightedLength: 11, tooLong: false, model: "test-model", shortenAttempts: 0 }),
  gate: () => Promise.resolve({ score: 1, reason: "fine", model: "test-model" }),
};

describe("change effects", () => {
  let database: TestDatabase;
  let accountId: number;
  let seq = 0;
  let effects: string[];
  /** The reply's status as the woken publisher would read it. */
  let seenByPublisher: Promise<ReplyStatus | undefined>[];

  const db = () => database.handle.db;

  beforeAll(async () => {
    database = await createPgliteTestDatabase();
  });
  afterAll(async () => {
    await database.dispose();
  });
  beforeEach(async () => {
    await clearWorkflowTables(db());
    const [account] = await db().insert(xAccounts).values({ label: "main", username: "replyguy", xUserId: "1" }).returning();
    accountId = account!.id;
    effects = [];
    seenByPublisher = [];
  });

  async function seed(status: ReplyStatus, cardVersion = 1) {
    seq++;
    const tweetId = `88${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "2", authorUsername: "alice", text: "@replyguy hi?", source: "mention", sourceDetail: "m", accountId, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({
        postTweetId: tweetId,
        accountId,
        status,
        draft: "Hello there.",
        weightedLength: 12,
        expiresAt: new Date(NOW.getTime() + 3_600_000),
        cardMessageId: 500 + seq,
        cardVersion,
      })
      .returning();
    return reply!;
  }

  function review() {
    return createReview({
      db: db(),
      settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      drafter,
      timeZone: "UTC",
      now: () => NOW,
      random: () => 0,
      wakePublisher: () => {
        effects.push("wake");
        seenByPublisher.push(db().select({ status: replies.status }).from(replies).then((rows) => rows[0]?.status));
      },
      redrawCards: () => effects.push("redraw"),
    });
  }

  it("approve: committed, then the publisher is woken, then the cards are redrawn", async () => {
    const reply = await seed("awaiting_approval");
    const result = await review().approve(reply.id, reply.version, ADA);
    expect(result.ok).toBe(true);
    expect(effects).toEqual(["wake", "redraw"]);
    expect(await Promise.all(seenByPublisher)).toEqual(["approved"]);
  });

  it("reject, edit and regenerate redraw the cards without waking the publisher", async () => {
    const first = await seed("awaiting_approval");
    expect((await review().reject(first.id, first.version, ADA)).ok).toBe(true);
    expect(effects).toEqual(["redraw"]);

    const second = await seed("awaiting_approval");
    expect((await review().edit(second.id, "Shorter and better.", ADA)).ok).toBe(true);
    const edited = await findReply(db(), second.id);
    expect((await review().regenerate(second.id, edited!.version, ADA)).ok).toBe(true);
    expect(effects).toEqual(["redraw", "redraw", "redraw"]);
    expect(await findReply(db(), second.id)).toMatchObject({ draft: "A new take.", model: "test-model" });
  });

  it("a refused action changes nothing and has no effect", async () => {
    const reply = await seed("awaiting_approval");
    expect(await review().approve(reply.id, reply.version + 1, ADA)).toMatchObject({ ok: false });
    expect(await review().reject(reply.id, reply.version + 1, ADA)).toMatchObject({ ok: false });
    expect(effects).toEqual([]);
  });

  it("pause marks open cards stale and redraws them; resume also wakes the publisher first; a repeat does nothing", async () => {
    const open = await seed("approved", 3);
    const closed = await seed("published", 3);
    const pause = new PauseSwitch(db(), { wakePublisher: () => effects.push("wake"), redrawCards: () => effects.push("redraw") });

    await pause.pause(ADA, NOW);
    expect(effects).toEqual(["redraw"]);
    expect((await findReply(db(), open.id))?.cardVersion).toBe(0);
    expect((await findReply(db(), closed.id))?.cardVersion).toBe(3);
    await pause.pause(ADA, NOW);
    expect(effects).toEqual(["redraw"]);

    await pause.resume(ADA, NOW);
    expect(effects).toEqual(["redraw", "wake", "redraw"]);
  });

  it("a DLQ retry wakes the publisher before the cards are redrawn; a discard redraws them", async () => {
    const queue = createDeadLetters({
      db: db(),
      logger: silentLogger(),
      settings: { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 5 },
      now: () => NOW,
      publisher: {
        runOnce: () => {
          effects.push("wake");
          return Promise.resolve();
        },
      },
      onChange: () => {
        effects.push("redraw");
        return Promise.resolve();
      },
    });
    const retried = await seed("failed");
    const discarded = await seed("failed");
    const entry = async (replyId: number) => {
      const [row] = await db()
        .insert(deadLetters)
        .values({ replyId, accountId, error: "X answered 503", errorType: "server_error", retryable: true, status: "pending", retryCount: 0, nextRetryAt: NOW, createdAt: NOW, updatedAt: NOW })
        .returning();
      return row!;
    };
    const first = await entry(retried.id);
    const second = await entry(discarded.id);

    expect(await queue.discard(second.id)).toMatchObject({ ok: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(effects).toEqual(["redraw"]);

    const result = await queue.retryNow(first.id);
    expect(result.ok).toBe(true);
    await result.done;
    expect(effects).toEqual(["redraw", "wake", "redraw"]);
    expect(await findReply(db(), retried.id)).toMatchObject({ status: "approved", needsReconcile: true });
    expect((await db().select().from(deadLetters).where(eq(deadLetters.id, first.id)))[0]?.status).toBe("retrying");
  });
});
