/**
 * Regenerate asks the model for a new draft of the same post, in the persona of the runtime settings, only for the
 * draft the admin saw; every review decision is logged with the post's id as its trace, and a press on a card whose
 * send was never recorded (or on an older copy) is logged as a warning.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import type { Drafter, DraftOutcome, PostForDraft } from "../../src/ai/types.js";
import { posts, replies, workflowEvents, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { createReview, type ReviewDeps } from "../../src/workflow/review.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger } from "../support/logger.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;
const ADA = 1001;

/** A drafter that answers every request with `outcome` and keeps what it was asked. */
function scriptedDrafter(outcome: Partial<DraftOutcome> = {}) {
  const asked: { post: PostForDraft; persona: string }[] = [];
  const drafter: Drafter = {
    draft(post, persona) {
      asked.push({ post, persona });
      return Promise.resolve({ text: "A fresh take.", weightedLength: 13, tooLong: false, model: "model-2", shortenAttempts: 0, ...outcome });
    },
    gate: () => Promise.reject(new Error("the gate is not used by review")),
  };
  return { drafter, asked };
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly trace?: string;
  readonly replyId?: number;
  readonly actor?: number;
  readonly messageId?: number;
  readonly cardMessageId?: number | null;
}

describe.each(databaseTargets())("regenerating a draft, and the review's log ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let accountId: number;
  let seq = 0;
  let effects: string[];
  let captured: ReturnType<typeof capturingLogger>;

  const review = (overrides: Partial<ReviewDeps> = {}) =>
    createReview({
      db: db(),
      settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      drafter: undefined,
      timeZone: "UTC",
      now: () => NOW,
      redrawCards: () => effects.push("redraw"),
      wakePublisher: () => effects.push("wake"),
      logger: captured.logger,
      ...overrides,
    });
  const logLines = () => captured.lines.map((line) => JSON.parse(line) as LogLine);

  beforeEach(async () => {
    const [account] = await db().insert(xAccounts).values({ label: "main", username: "replyguy", xUserId: "1" }).returning();
    accountId = account!.id;
    effects = [];
    captured = capturingLogger();
  });

  async function seed(status: ReplyStatus = "awaiting_approval", values: Partial<typeof replies.$inferInsert> = {}) {
    seq++;
    const tweetId = `55${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "2", authorUsername: "alice", text: "@replyguy what now?", source: "target", sourceDetail: "alice", accountId, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, accountId, status, draft: "Hello there.", weightedLength: 12, model: "model-1", expiresAt: new Date(NOW.getTime() + HOUR), ...values })
      .returning();
    return reply!;
  }

  const events = async (id: number) => (await db().select().from(workflowEvents).where(eq(workflowEvents.replyId, id))).map((event) => event.kind);

  it("replaces the draft with the model's, written for the post in the settings' persona, and records who asked", async () => {
    const settings = new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS);
    expect(await settings.set("persona", "A terse engineer.", ADA)).toMatchObject({ ok: true });
    const { drafter, asked } = scriptedDrafter();
    const reply = await seed();
    const result = await review({ drafter, settings }).regenerate(reply.id, reply.version, ADA);
    expect(result).toMatchObject({ ok: true, reply: { draft: "A fresh take.", weightedLength: 13, tooLong: false, model: "model-2", version: reply.version + 1 } });
    expect(asked).toEqual([{ post: { text: "@replyguy what now?", authorUsername: "alice", source: "target" }, persona: "A terse engineer." }]);
    expect(await events(reply.id)).toEqual(["regenerated"]);
    expect(effects).toEqual(["redraw"]);
    expect(logLines()).toContainEqual(expect.objectContaining({ msg: "reply regenerated", trace: reply.postTweetId, replyId: reply.id, actor: ADA }));
  });

  it("keeps a too-long model draft flagged, so it must be edited before approval", async () => {
    const { drafter } = scriptedDrafter({ text: "y".repeat(300), weightedLength: 300, tooLong: true });
    const reply = await seed();
    expect(await review({ drafter }).regenerate(reply.id, reply.version, ADA)).toMatchObject({ ok: true, reply: { tooLong: true, weightedLength: 300 } });
    expect(await review().approve(reply.id, reply.version + 1, ADA)).toEqual({ ok: false, message: "Too long (300/280): edit it first." });
  });

  it("asks the model nothing for a draft that is gone, decided, or changed since the card was drawn", async () => {
    const { drafter, asked } = scriptedDrafter();
    expect(await review({ drafter }).regenerate(999_999, 1, ADA)).toEqual({ ok: false, message: "This reply no longer exists." });
    const decided = await seed("rejected");
    expect(await review({ drafter }).regenerate(decided.id, decided.version, ADA)).toEqual({ ok: false, message: "Already rejected." });
    const open = await seed();
    expect(await review({ drafter }).regenerate(open.id, open.version + 1, ADA)).toEqual({
      ok: false,
      message: "The draft changed since this card was drawn; look at the updated card.",
    });
    expect(asked).toEqual([]);
    expect((await findReply(db(), open.id))?.draft).toBe("Hello there.");
    expect(effects).toEqual([]);
  });

  it("drops the model's draft when the draft changed while the model was writing", async () => {
    const reply = await seed();
    const slow: Drafter = {
      async draft() {
        // The admin's edit lands while the model writes.
        await review().edit(reply.id, "The admin's own words.", ADA);
        return { text: "A fresh take.", weightedLength: 13, tooLong: false, model: "model-2", shortenAttempts: 0 };
      },
      gate: () => Promise.reject(new Error("unused")),
    };
    expect(await review({ drafter: slow }).regenerate(reply.id, reply.version, ADA)).toEqual({
      ok: false,
      message: "The draft changed since this card was drawn; look at the updated card.",
    });
    expect((await findReply(db(), reply.id))?.draft).toBe("The admin's own words.");
    expect(await events(reply.id)).toEqual(["edited"]);
  });

  it("logs each decision with the post's id as its trace, and who made it", async () => {
    const approved = await seed();
    await review().approve(approved.id, approved.version, ADA);
    const rejected = await seed();
    await review().reject(rejected.id, rejected.version, ADA);
    const edited = await seed();
    await review().edit(edited.id, "New words.", ADA);
    const expected = [
      { msg: "reply approved", trace: approved.postTweetId, replyId: approved.id, actor: ADA },
      { msg: "reply rejected", trace: rejected.postTweetId, replyId: rejected.id, actor: ADA },
      { msg: "reply edited", trace: edited.postTweetId, replyId: edited.id, actor: ADA },
    ];
    expect(logLines().map(({ msg, trace, replyId, actor }) => ({ msg, trace, replyId, actor }))).toEqual(expected);
  });

  it("warns when a press adopts a card whose send was never recorded, or comes from a superseded copy", async () => {
    const reply = await seed();
    expect(await review().cardPress(reply.id, 20, reply.version)).toBe("adopted");
    expect(await review().cardPress(reply.id, 20, reply.version)).toBe("current");
    expect(await review().cardPress(reply.id, 21, reply.version)).toBe("superseded");
    const warnings = logLines().filter((line) => line.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({ msg: "card adopted: a press came on a card whose send was never recorded", trace: reply.postTweetId, replyId: reply.id, messageId: 20, cardMessageId: null }),
      expect.objectContaining({ msg: "press on a superseded copy of a card; nothing changed", trace: reply.postTweetId, replyId: reply.id, messageId: 21, cardMessageId: 20 }),
    ]);
  });

  it("refuses to approve a decided draft as decided, even one flagged too long", async () => {
    const decided = await seed("rejected", { tooLong: true, weightedLength: 301 });
    expect(await review().approve(decided.id, decided.version, ADA)).toEqual({ ok: false, message: "Already rejected." });
  });
});
