/**
 * The review actions called directly: each refusal names why from the reply's state, the checks that come before
 * any move (too long, empty, no AI), approval scheduled by the runtime settings, card presses sorted, and expiry.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { posts, replies, workflowEvents, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { createReview, type ReviewDeps } from "../../src/workflow/review.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { meanwhileBefore } from "../support/meanwhile.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;
const ADA = 1001;

describe("review actions", () => {
  let database: TestDatabase;
  let accountId: number;
  let seq = 0;
  let effects: string[];

  const db = () => database.handle.db;
  const review = (overrides: Partial<ReviewDeps> = {}) =>
    createReview({
      db: db(),
      settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      drafter: undefined,
      timeZone: "UTC",
      now: () => NOW,
      redrawCards: () => effects.push("redraw"),
      wakePublisher: () => effects.push("wake"),
      ...overrides,
    });

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
  });

  async function seed(status: ReplyStatus = "awaiting_approval", values: Partial<typeof replies.$inferInsert> = {}) {
    seq++;
    const tweetId = `77${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "2", authorUsername: "alice", text: "@replyguy hi?", source: "mention", sourceDetail: "m", accountId, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, accountId, status, draft: "Hello there.", weightedLength: 12, expiresAt: new Date(NOW.getTime() + HOUR), ...values })
      .returning();
    return reply!;
  }

  const events = async (id: number) => (await db().select().from(workflowEvents).where(eq(workflowEvents.replyId, id))).map((event) => event.kind);

  it("explains a refused approval from the reply's state", async () => {
    expect(await review().approve(999_999, 1, ADA)).toEqual({ ok: false, message: "This reply no longer exists." });
    const rejected = await seed("rejected");
    expect(await review().approve(rejected.id, rejected.version, ADA)).toEqual({ ok: false, message: "Already rejected." });
    const expired = await seed("awaiting_approval", { expiresAt: NOW });
    expect(await review().approve(expired.id, expired.version, ADA)).toEqual({ ok: false, message: "This draft has expired." });
    const open = await seed();
    expect(await review().approve(open.id, open.version + 1, ADA)).toEqual({
      ok: false,
      message: "The draft changed since this card was drawn; look at the updated card.",
    });
    expect(effects).toEqual([]);
  });

  it("refuses to approve a too-long draft until it is edited; an old card's version is refused as changed", async () => {
    const long = await seed("awaiting_approval", { tooLong: true, weightedLength: 301 });
    expect(await review().approve(long.id, long.version, ADA)).toEqual({ ok: false, message: "Too long (301/280): edit it first." });
    expect((await findReply(db(), long.id))?.status).toBe("awaiting_approval");
    expect(await review().approve(long.id, long.version + 1, ADA)).toMatchObject({ ok: false, message: expect.stringContaining("changed since") });
  });

  it("approves on the schedule of the runtime settings, records it, wakes the publisher and redraws", async () => {
    const settings = new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS);
    expect(await settings.set("max_delay", "40", ADA)).toMatchObject({ ok: true });
    expect(await settings.set("min_delay", "20", ADA)).toMatchObject({ ok: true });
    expect(await settings.set("jitter", "60", ADA)).toMatchObject({ ok: true });
    const reply = await seed();
    const result = await review({ settings, random: () => 0.5 }).approve(reply.id, reply.version, ADA);
    expect(result).toMatchObject({ ok: true, reply: { status: "approved", decidedBy: ADA } });
    expect((await findReply(db(), reply.id))?.scheduledAt).toEqual(new Date(NOW.getTime() + 30 * 60_000 + 30_000));
    expect(await events(reply.id)).toEqual(["approved"]);
    expect(effects).toEqual(["wake", "redraw"]);
  });

  it("rejects, recording who did it; a second reject is refused", async () => {
    const reply = await seed();
    expect(await review().reject(reply.id, reply.version, ADA)).toMatchObject({ ok: true, reply: { status: "rejected" } });
    expect(await review().reject(reply.id, reply.version, ADA)).toEqual({ ok: false, message: "Already rejected." });
    expect(await events(reply.id)).toEqual(["rejected"]);
    expect(effects).toEqual(["redraw"]);
  });

  it("edits with the invisible characters and blanks taken out, refusing an empty or too-long text", async () => {
    const reply = await seed();
    expect(await review().edit(reply.id, " \u200b ", ADA)).toEqual({ ok: false, message: "The new text is empty; the draft is unchanged." });
    expect(await review().edit(reply.id, "x".repeat(281), ADA)).toEqual({
      ok: false,
      message: "Too long: 281 of 280 weighted characters. Send a shorter text or /cancel.",
    });
    expect(effects).toEqual([]);
    const edited = await review().edit(reply.id, "  Better\u200b text. ", ADA);
    expect(edited).toMatchObject({ ok: true, reply: { draft: "Better text.", weightedLength: 12, tooLong: false } });
    expect(await review().edit(reply.id, "x".repeat(280), ADA)).toMatchObject({ ok: true, reply: { weightedLength: 280 } });
    expect(await events(reply.id)).toEqual(["edited", "edited"]);
    const gone = await seed("published");
    expect(await review().edit(gone.id, "Too late.", ADA)).toEqual({ ok: false, message: "Already published." });
  });

  it("refuses to regenerate without an AI provider", async () => {
    const reply = await seed();
    expect(await review().regenerate(reply.id, reply.version, ADA)).toEqual({ ok: false, message: "No AI provider is configured (OPENAI_API_KEY)." });
  });

  it("sorts card presses: the stored card, an unrecorded card adopted, a superseded copy", async () => {
    expect(await review().cardPress(999_999, 5, 1)).toBe("current");
    const drawn = await seed("awaiting_approval", { cardMessageId: 10, cardVersion: 1 });
    expect(await review().cardPress(drawn.id, 10, 1)).toBe("current");
    expect(await review().cardPress(drawn.id, 9, 1)).toBe("superseded");

    const unrecorded = await seed();
    expect(await review().cardPress(unrecorded.id, 20, unrecorded.version + 1)).toBe("current");
    expect((await findReply(db(), unrecorded.id))?.cardMessageId).toBeNull();
    expect(await review().cardPress(unrecorded.id, 20, unrecorded.version)).toBe("adopted");
    expect(await findReply(db(), unrecorded.id)).toMatchObject({ cardMessageId: 20, cardVersion: unrecorded.version });
    expect(await review().cardPress(unrecorded.id, 21, unrecorded.version)).toBe("superseded");
  });

  it("sorts a press whose adoption lost to a card stored meanwhile by which card was stored", async () => {
    const storeCard = (id: number, messageId: number) => () => db().update(replies).set({ cardMessageId: messageId }).where(eq(replies.id, id));
    const other = await seed();
    const lostToAnother = review({ db: meanwhileBefore(db(), "update", storeCard(other.id, 30)) });
    expect(await lostToAnother.cardPress(other.id, 20, other.version)).toBe("superseded");
    expect((await findReply(db(), other.id))?.cardMessageId).toBe(30);

    const same = await seed();
    const lostToItself = review({ db: meanwhileBefore(db(), "update", storeCard(same.id, 20)) });
    expect(await lostToItself.cardPress(same.id, 20, same.version)).toBe("current");

    const gone = await seed();
    const deleted = () => db().delete(replies).where(eq(replies.id, gone.id));
    expect(await review({ db: meanwhileBefore(db(), "update", deleted) }).cardPress(gone.id, 20, gone.version)).toBe("current");
    expect(effects).toEqual([]);
  });

  it("finds a reply, or nothing", async () => {
    const reply = await seed();
    expect((await review().find(reply.id))?.id).toBe(reply.id);
    expect(await review().find(999_999)).toBeUndefined();
  });

  it("refuses to release a reply that is gone or not held by an unconfirmed attempt", async () => {
    const down = review({ isAccountDown: () => true });
    expect(await down.postFromAnotherAccount(999_999, 1, ADA)).toEqual({ ok: false, message: "This reply no longer exists." });
    const nothing = "Nothing to release: it is not held by an unconfirmed attempt.";
    const pending = await seed("awaiting_approval", { needsReconcile: true });
    expect(await down.postFromAnotherAccount(pending.id, pending.version, ADA)).toEqual({ ok: false, message: nothing });
    const settled = await seed("approved", { scheduledAt: NOW });
    expect(await down.postFromAnotherAccount(settled.id, settled.version, ADA)).toEqual({ ok: false, message: nothing });
    const bound = await seed("approved", { scheduledAt: NOW, needsReconcile: true, boundAccountId: accountId });
    expect(await down.postFromAnotherAccount(bound.id, bound.version, ADA)).toEqual({ ok: false, message: nothing });
    const unclaimed = await seed("approved", { scheduledAt: NOW, needsReconcile: true, accountId: null });
    expect(await down.postFromAnotherAccount(unclaimed.id, unclaimed.version, ADA)).toEqual({ ok: false, message: nothing });
    const held = await seed("approved", { scheduledAt: NOW, needsReconcile: true });
    expect(await down.postFromAnotherAccount(held.id, held.version + 1, ADA)).toEqual({
      ok: false,
      message: "The reply changed since this card was drawn; look at the updated card.",
    });
    expect(await review().postFromAnotherAccount(held.id, held.version, ADA)).toEqual({ ok: false, message: "Its account is back: it checks X before posting." });
    expect(effects).toEqual([]);
    expect(await down.postFromAnotherAccount(held.id, held.version, ADA)).toMatchObject({ ok: true });
    expect(await events(held.id)).toEqual(["released_unconfirmed"]);
    expect(effects).toEqual(["wake", "redraw"]);
  });

  it("releases nothing when the held reply changed between the check and the release", async () => {
    const held = await seed("approved", { scheduledAt: NOW, needsReconcile: true });
    const settledMeanwhile = () => db().update(replies).set({ needsReconcile: false }).where(eq(replies.id, held.id));
    const down = review({ db: meanwhileBefore(db(), "update", settledMeanwhile), isAccountDown: () => true });
    expect(await down.postFromAnotherAccount(held.id, held.version, ADA)).toEqual({
      ok: false,
      message: "The reply changed meanwhile; look at the updated card.",
    });
    expect(await findReply(db(), held.id)).toMatchObject({ status: "approved", accountId, needsReconcile: false });
    expect(await events(held.id)).toEqual([]);
    expect(effects).toEqual([]);
  });

  it("releases a held reply without a publisher or cards to notify", async () => {
    const held = await seed("approved", { scheduledAt: NOW, needsReconcile: true });
    const bare = review({ redrawCards: undefined, wakePublisher: undefined, isAccountDown: () => true });
    expect(await bare.postFromAnotherAccount(held.id, held.version, ADA)).toMatchObject({ ok: true, reply: { accountId: null } });
  });

  it("expires the drafts past their time to live, recording each", async () => {
    const old = await seed("awaiting_approval", { expiresAt: new Date(NOW.getTime() - 1) });
    const fresh = await seed();
    expect(await review().expireDrafts()).toEqual([old.id]);
    expect(await events(old.id)).toEqual(["expired"]);
    expect(await events(fresh.id)).toEqual([]);
  });
});
