/**
 * The reply moves of workflow/replies/ one by one, against a real database: what each one moves, what it leaves
 * alone, the guard that makes a stale card or a second try a no-op, and the columns it writes.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { approvalBatchItems, approvalBatches, posts, publishAttempts, replies, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { approveReply } from "../../src/workflow/replies/approve-reply.js";
import { cancelBoundReplies } from "../../src/workflow/replies/cancel-bound-replies.js";
import { cancelClaimedReply } from "../../src/workflow/replies/cancel-claimed-reply.js";
import { cancelRepliesToAuthor } from "../../src/workflow/replies/cancel-replies.js";
import {
  adoptCard,
  forgetCardSend,
  markCardDrawn,
  markCardFailed,
  markCardSending,
  markHeldCardsStale,
  markOpenCardsStale,
} from "../../src/workflow/replies/card-state.js";
import { createDraftReply } from "../../src/workflow/replies/create-reply.js";
import { deferReply } from "../../src/workflow/replies/defer-reply.js";
import { draftFlags, draftFlagsForPost, draftFlagsForReply } from "../../src/workflow/replies/draft-flags.js";
import { expireReplies } from "../../src/workflow/replies/expire-replies.js";
import { explainFailure } from "../../src/workflow/replies/explain-failure.js";
import { failReply } from "../../src/workflow/replies/fail-reply.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { extendLease, recordMediaUpload } from "../../src/workflow/replies/media-upload.js";
import { redraftReply } from "../../src/workflow/replies/redraft-reply.js";
import { rejectReply } from "../../src/workflow/replies/reject-reply.js";
import { releaseUnansweredClaim, UNANSWERED_CLAIM_REASON } from "../../src/workflow/replies/release-unanswered-claim.js";
import { releaseUnconfirmedReply } from "../../src/workflow/replies/release-unconfirmed.js";
import { retryReply } from "../../src/workflow/replies/retry-reply.js";
import { returnForReview } from "../../src/workflow/replies/return-for-review.js";
import { setReplyMedia } from "../../src/workflow/replies/set-reply-media.js";
import { FAILURE_REASON_MAX } from "../../src/workflow/replies/transition.js";
import { unapproveBatchReplies } from "../../src/workflow/replies/unapprove-batch.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { claimOne } from "../support/publish-fixture.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const MINUTE = 60_000;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MINUTE);
const LONG_REASON = "x".repeat(FAILURE_REASON_MAX + 50);
const CLIPPED = expect.stringMatching(new RegExp(`^x{${FAILURE_REASON_MAX - 1}}…$`));

describe.each(databaseTargets())("reply moves one by one ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let seq = 0;
  /** The account the seeded posts were found by. */
  let host: number;

  beforeEach(async () => {
    host = await account("host");
  });

  async function account(label: string): Promise<number> {
    const [row] = await db().insert(xAccounts).values({ label }).returning();
    return row!.id;
  }

  async function seed(status: ReplyStatus, extra: Partial<typeof replies.$inferInsert> = {}, post: Partial<typeof posts.$inferInsert> = {}) {
    seq++;
    const tweetId = `88${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId: host, answerable: true, state: "drafted", ...post });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, status, draft: "Hello.", weightedLength: 6, expiresAt: at(60), ...extra })
      .returning();
    return reply!;
  }

  const read = async (id: number) => (await findReply(db(), id))!;

  describe("admin decisions", () => {
    it("approve moves only the version the admin saw, that fits on X and has not expired, with who, when and when due", async () => {
      const ok = await seed("awaiting_approval");
      const approval = { id: ok.id, version: ok.version, by: 7, decidedAt: NOW, scheduledAt: at(5) };
      expect(await approveReply(db(), { ...approval, version: ok.version + 1 })).toBeUndefined();
      expect(await approveReply(db(), approval)).toMatchObject({
        status: "approved",
        decidedBy: 7,
        decidedAt: NOW,
        scheduledAt: at(5),
        version: ok.version + 1,
      });
      expect(await approveReply(db(), { ...approval, version: ok.version + 1 })).toBeUndefined();

      const tooLong = await seed("awaiting_approval", { tooLong: true });
      expect(await approveReply(db(), { ...approval, id: tooLong.id, version: tooLong.version })).toBeUndefined();
      const expiresNow = await seed("awaiting_approval", { expiresAt: NOW });
      expect(await approveReply(db(), { ...approval, id: expiresNow.id, version: expiresNow.version })).toBeUndefined();
      expect((await read(tooLong.id)).status).toBe("awaiting_approval");
      expect((await read(expiresNow.id)).status).toBe("awaiting_approval");
    });

    it("reject moves only the version the admin saw and records who and when", async () => {
      const reply = await seed("awaiting_approval");
      const rejection = { id: reply.id, version: reply.version, by: 9, decidedAt: NOW };
      expect(await rejectReply(db(), { ...rejection, version: reply.version - 1 })).toBeUndefined();
      expect(await rejectReply(db(), rejection)).toMatchObject({ status: "rejected", decidedBy: 9, decidedAt: NOW, version: reply.version + 1 });
    });

    it("a redraft takes the new text, keeps the model of an admin's edit, works its flags out again, and respects version and expiry", async () => {
      const reply = await seed("awaiting_approval", { model: "gpt-x" }, { text: "what ORM?", authorUsername: "alice" });
      const edit = { draft: "Drizzle, see https://orm.drizzle.team", weightedLength: 30, tooLong: false };
      expect(await redraftReply(db(), reply.id, edit, { now: NOW, version: reply.version + 1 })).toBeUndefined();
      expect(await redraftReply(db(), reply.id, edit, { now: NOW, version: reply.version })).toMatchObject({
        draft: edit.draft,
        model: "gpt-x",
        flags: ["new_link"],
        version: reply.version + 1,
      });
      const regenerated = await redraftReply(db(), reply.id, { draft: "ask @bob", weightedLength: 8, tooLong: true, model: "gpt-y" }, { now: NOW });
      expect(regenerated).toMatchObject({ draft: "ask @bob", model: "gpt-y", tooLong: true, flags: ["new_mention"] });
      expect(await redraftReply(db(), reply.id, edit, { now: at(60) })).toBeUndefined();
      expect((await read(reply.id)).draft).toBe("ask @bob");
    });

    it("an attachment is set and removed while the draft lives, and any earlier upload to X is forgotten", async () => {
      const uploader = await account("main");
      const reply = await seed("awaiting_approval", { mediaXId: "m-old", mediaXAccountId: uploader, mediaXExpiresAt: at(600) });
      const media = { fileId: "file-1", kind: "video" as const, mimeType: "video/mp4", bytes: 1234, durationSeconds: 12 };
      expect(await setReplyMedia(db(), reply.id, media, NOW)).toMatchObject({
        mediaFileId: "file-1",
        mediaKind: "video",
        mediaMimeType: "video/mp4",
        mediaBytes: 1234,
        mediaDurationSeconds: 12,
        mediaXId: null,
        mediaXAccountId: null,
        mediaXExpiresAt: null,
      });
      expect(await setReplyMedia(db(), reply.id, undefined, NOW)).toMatchObject({
        mediaFileId: null,
        mediaKind: null,
        mediaMimeType: null,
        mediaBytes: null,
        mediaDurationSeconds: null,
      });
      expect(await setReplyMedia(db(), reply.id, media, at(60))).toBeUndefined();
    });

    it("an unconfirmed free reply is let go by its card's version only; a bound one never", async () => {
      const main = await account("main");
      const pinned = await seed("approved", { accountId: main, needsReconcile: true, scheduledAt: at(30) });
      expect(await releaseUnconfirmedReply(db(), { id: pinned.id, version: pinned.version + 1, now: NOW })).toBeUndefined();
      expect(await releaseUnconfirmedReply(db(), { id: pinned.id, version: pinned.version, now: NOW })).toMatchObject({
        status: "approved",
        needsReconcile: false,
        accountId: null,
        scheduledAt: NOW,
      });
      const bound = await seed("approved", { accountId: main, boundAccountId: main, needsReconcile: true });
      expect(await releaseUnconfirmedReply(db(), { id: bound.id, version: bound.version, now: NOW })).toBeUndefined();
      const confirmed = await seed("approved", { accountId: main });
      expect(await releaseUnconfirmedReply(db(), { id: confirmed.id, version: confirmed.version, now: NOW })).toBeUndefined();
    });

    it("a bulk batch's un-approve moves back only its approved items that no attempt holds or may have posted", async () => {
      const [batch] = await db().insert(approvalBatches).values({ kind: "approve", status: "running", createdBy: 1 }).returning();
      const [otherBatch] = await db().insert(approvalBatches).values({ kind: "approve", status: "running", createdBy: 1 }).returning();
      const back = await seed("approved", { decidedBy: 1, decidedAt: NOW, scheduledAt: NOW });
      const flagged = await seed("approved", { needsReconcile: true });
      const claimed = await seed("publishing");
      const skipped = await seed("approved");
      const elsewhere = await seed("approved");
      await db()
        .insert(approvalBatchItems)
        .values([
          { batchId: batch!.id, replyId: back.id, version: 1, state: "approved" },
          { batchId: batch!.id, replyId: flagged.id, version: 1, state: "approved" },
          { batchId: batch!.id, replyId: claimed.id, version: 1, state: "approved" },
          { batchId: batch!.id, replyId: skipped.id, version: 1, state: "skipped" },
          { batchId: otherBatch!.id, replyId: elsewhere.id, version: 1, state: "approved" },
        ]);
      expect(await unapproveBatchReplies(db(), batch!.id)).toEqual([back.id]);
      expect(await read(back.id)).toMatchObject({ status: "awaiting_approval", decidedBy: null, decidedAt: null, scheduledAt: null });
      for (const id of [flagged.id, skipped.id, elsewhere.id]) expect((await read(id)).status).toBe("approved");
    });
  });

  describe("births, expiry and deferral", () => {
    it("a draft is born awaiting approval with its source's priority, its bound account and its flags; one per post", async () => {
      const main = await account("main");
      await db().insert(posts).values({ tweetId: "500", authorId: "2", authorUsername: "alice", text: "hello", source: "target", sourceDetail: "t", accountId: host, answerable: true, state: "drafted" });
      const draft = { postTweetId: "500", source: "target" as const, boundAccountId: main, draft: "hi @carol", weightedLength: 9, tooLong: false, model: "m", expiresAt: at(60) };
      const id = await createDraftReply(db(), draft);
      expect(id).toBeTypeOf("number");
      expect(await read(id!)).toMatchObject({ status: "awaiting_approval", priority: 1, boundAccountId: main, accountId: main, flags: ["new_mention"], model: "m" });
      expect(await createDraftReply(db(), { ...draft, source: "mention" })).toBeUndefined();

      await db().insert(posts).values({ tweetId: "501", authorId: "2", text: "hello", source: "search", sourceDetail: "s", accountId: host, answerable: true, state: "drafted" });
      const free = await createDraftReply(db(), { ...draft, postTweetId: "501", source: "search", boundAccountId: null, draft: "plain" });
      expect(await read(free!)).toMatchObject({ priority: 2, boundAccountId: null, accountId: null, flags: [] });
    });

    it("flags name a new link and a new mention, none for what the post had, and none for an unknown post or reply", async () => {
      expect(draftFlags("see https://example.org/a and @bob", { text: "hi", authorUsername: "alice" })).toEqual(["new_link", "new_mention"]);
      expect(draftFlags("see https://example.org/a", { text: "is https://example.org/a good?", authorUsername: "alice" })).toEqual([]);
      expect(draftFlags("thanks @alice", { text: "hi", authorUsername: "alice" })).toEqual([]);
      expect(await draftFlagsForPost(db(), "404", "https://example.org/a")).toEqual([]);
      expect(await draftFlagsForReply(db(), 404_404, "https://example.org/a")).toEqual([]);
      const reply = await seed("awaiting_approval");
      expect(await draftFlagsForReply(db(), reply.id, "https://example.org/a")).toEqual(["new_link"]);
      expect(await draftFlagsForPost(db(), reply.postTweetId, "@zed")).toEqual(["new_mention"]);
    });

    it("drafts expire only once their time to live ended before now, and only while awaiting approval", async () => {
      const ended = await seed("awaiting_approval", { expiresAt: at(-1) });
      const endsNow = await seed("awaiting_approval", { expiresAt: NOW });
      const approved = await seed("approved", { expiresAt: at(-1) });
      expect(await expireReplies(db(), NOW)).toEqual([ended.id]);
      expect((await read(ended.id)).status).toBe("expired");
      expect((await read(endsNow.id)).status).toBe("awaiting_approval");
      expect((await read(approved.id)).status).toBe("approved");
    });

    it("a reply is deferred only while still due at now (a concurrent change wins)", async () => {
      const due = await seed("approved", { scheduledAt: NOW });
      const later = await seed("approved", { scheduledAt: at(1) });
      expect(await deferReply(db(), due.id, { at: at(120), now: NOW })).toMatchObject({ status: "approved", scheduledAt: at(120) });
      expect(await deferReply(db(), later.id, { at: at(120), now: NOW })).toBeUndefined();
      expect((await read(later.id)).scheduledAt).toEqual(at(1));
    });

    it("a failure's reason is clipped to what a card shows", async () => {
      const failed = await seed("failed");
      await explainFailure(db(), failed.id, LONG_REASON);
      expect((await read(failed.id)).failureReason).toEqual(CLIPPED);
    });
  });

  describe("cancellations", () => {
    it("removing an account cancels its bound drafts and approved replies, never a flagged, claimed or other account's one", async () => {
      const main = await account("main");
      const other = await account("other");
      const awaiting = await seed("awaiting_approval", { boundAccountId: main, leaseUntil: at(5) });
      const approved = await seed("approved", { boundAccountId: main, accountId: main });
      const flagged = await seed("approved", { boundAccountId: main, needsReconcile: true });
      const claimed = await seed("publishing", { boundAccountId: main });
      const others = await seed("approved", { boundAccountId: other });
      const free = await seed("approved", { accountId: main });
      expect((await cancelBoundReplies(db(), main, LONG_REASON)).sort()).toEqual([awaiting.id, approved.id].sort());
      expect(await read(awaiting.id)).toMatchObject({ status: "cancelled", failureReason: CLIPPED, leaseUntil: null });
      for (const { id } of [flagged, others, free]) expect((await read(id)).status).toBe("approved");
      expect((await read(claimed.id)).status).toBe("publishing");
    });

    it("an opt-out cancels the author's awaiting, approved and failed replies (any case), never a flagged or claimed one", async () => {
      const author = { authorUsername: "Alice_X" };
      const awaiting = await seed("awaiting_approval", {}, author);
      const approved = await seed("approved", {}, author);
      const failed = await seed("failed", {}, author);
      const flagged = await seed("approved", { needsReconcile: true }, author);
      const claimed = await seed("publishing", {}, author);
      const someoneElse = await seed("approved", {}, { authorUsername: "bob" });
      const cancelled = await cancelRepliesToAuthor(db(), "alice_x", LONG_REASON);
      expect(cancelled.sort()).toEqual([awaiting.id, approved.id, failed.id].sort());
      expect(await read(failed.id)).toMatchObject({ status: "cancelled", failureReason: CLIPPED });
      expect((await read(flagged.id)).status).toBe("approved");
      expect((await read(claimed.id)).status).toBe("publishing");
      expect((await read(someoneElse.id)).status).toBe("approved");
    });
  });

  describe("cards", () => {
    it("open cards are marked stale; closed ones keep their version", async () => {
      const open = await Promise.all((["awaiting_approval", "approved", "publishing"] as const).map((status) => seed(status, { cardVersion: 1 })));
      const closed = await Promise.all((["published", "failed", "rejected", "expired", "cancelled"] as const).map((status) => seed(status, { cardVersion: 1 })));
      await markOpenCardsStale(db());
      for (const { id } of open) expect((await read(id)).cardVersion).toBe(0);
      for (const { id } of closed) expect((await read(id)).cardVersion).toBe(1);
    });

    it("held cards: approved replies bound to a flipped account, or pinned to it by an unknown outcome, are counted and marked", async () => {
      const main = await account("main");
      const other = await account("other");
      const bound = await seed("approved", { boundAccountId: main, cardVersion: 1 });
      const pinned = await seed("approved", { accountId: main, needsReconcile: true, cardVersion: 1 });
      const lastTriedHere = await seed("approved", { accountId: main, cardVersion: 1 });
      const boundOther = await seed("approved", { boundAccountId: other, cardVersion: 1 });
      const awaitingBound = await seed("awaiting_approval", { boundAccountId: main, cardVersion: 1 });
      expect(await markHeldCardsStale(db(), [main])).toBe(2);
      expect((await read(bound.id)).cardVersion).toBe(0);
      expect((await read(pinned.id)).cardVersion).toBe(0);
      for (const { id } of [lastTriedHere, boundOther, awaitingBound]) expect((await read(id)).cardVersion).toBe(1);
      expect(await markHeldCardsStale(db(), [])).toBe(0);
    });

    it("a refused card is remembered until a card of that version or later is drawn", async () => {
      const reply = await seed("awaiting_approval", { version: 3 });
      await markCardFailed(db(), reply.id, 3, "message is too long", NOW);
      expect(await read(reply.id)).toMatchObject({ cardFailedVersion: 3, cardFailedAt: NOW, cardFailureReason: "message is too long" });
      await markCardDrawn(db(), reply.id, 11, 2);
      expect(await read(reply.id)).toMatchObject({ cardMessageId: 11, cardVersion: 2, cardFailedVersion: 3, cardFailureReason: "message is too long" });
      await markCardDrawn(db(), reply.id, 11, 3);
      expect(await read(reply.id)).toMatchObject({ cardVersion: 3, cardFailedVersion: null, cardFailedAt: null, cardFailureReason: null });
    });

    it("card sends are counted while no card is stored, taken back only while above zero, and stop once a card is stored", async () => {
      const reply = await seed("awaiting_approval");
      expect(await markCardSending(db(), reply.id)).toBe(1);
      expect(await markCardSending(db(), reply.id)).toBe(2);
      await forgetCardSend(db(), reply.id);
      await forgetCardSend(db(), reply.id);
      await forgetCardSend(db(), reply.id);
      expect((await read(reply.id)).cardSends).toBe(0);
      expect(await markCardSending(db(), reply.id)).toBe(1);
      await markCardDrawn(db(), reply.id, 12, 1);
      expect(await markCardSending(db(), reply.id)).toBeUndefined();
      await forgetCardSend(db(), reply.id);
      expect((await read(reply.id)).cardSends).toBe(1);
    });

    it("a pressed card is adopted only while none is stored and only for a version the reply reached; its version never goes back", async () => {
      const reply = await seed("awaiting_approval", { version: 4, cardVersion: 2 });
      expect(await adoptCard(db(), reply.id, 21, 5)).toBe(false);
      expect(await adoptCard(db(), reply.id, 21, 1)).toBe(true);
      expect(await read(reply.id)).toMatchObject({ cardMessageId: 21, cardVersion: 2 });
      expect(await adoptCard(db(), reply.id, 22, 4)).toBe(false);
      const other = await seed("awaiting_approval", { version: 4 });
      expect(await adoptCard(db(), other.id, 23, 4)).toBe(true);
      expect(await read(other.id)).toMatchObject({ cardMessageId: 23, cardVersion: 4 });
    });
  });

  describe("an attempt's own moves", () => {
    async function claimed(extra: Partial<typeof replies.$inferInsert> = {}) {
      const main = await account(`acct-${++seq}`);
      const reply = await seed("approved", { scheduledAt: at(-1), accountId: main, ...extra });
      const claim = (await claimOne(db(), { accountId: main, now: NOW, leaseSeconds: 120 }))!;
      expect(claim.reply.id).toBe(reply.id);
      return claim;
    }
    const attemptOf = async (id: string) => (await db().select().from(publishAttempts).where(eq(publishAttempts.id, id)))[0];

    it("a failure keeps the clipped reason on the reply and the whole one on the attempt", async () => {
      const claim = await claimed();
      expect(await failReply(db(), claim, { reason: LONG_REASON, now: NOW })).toBe(true);
      expect(await read(claim.reply.id)).toMatchObject({ status: "failed", failureReason: CLIPPED, leaseUntil: null });
      expect(await attemptOf(claim.attemptId)).toMatchObject({ outcome: "failed", finishedAt: NOW, error: LONG_REASON, tweetId: null });
      expect(await failReply(db(), claim, { reason: "again", now: NOW })).toBe(false);
    });

    it("a retry is due at its time; ambiguous asks for a reconcile, uncounted gives the attempt back", async () => {
      const claim = await claimed();
      expect(await retryReply(db(), claim, { at: at(3), ambiguous: true, error: LONG_REASON, now: NOW })).toBe(true);
      expect(await read(claim.reply.id)).toMatchObject({ status: "approved", scheduledAt: at(3), needsReconcile: true, failureReason: CLIPPED, attemptCount: 1 });
      expect(await attemptOf(claim.attemptId)).toMatchObject({ outcome: "ambiguous", error: LONG_REASON });

      const plain = await claimed();
      expect(await retryReply(db(), plain, { at: at(4), ambiguous: false, error: "503", now: NOW, uncounted: true })).toBe(true);
      expect(await read(plain.reply.id)).toMatchObject({ needsReconcile: false, attemptCount: 0 });
      expect(await attemptOf(plain.attemptId)).toMatchObject({ outcome: "retry" });
    });

    it("a flag already set stays set through a plain retry", async () => {
      const claim = await claimed({ needsReconcile: true });
      await retryReply(db(), claim, { at: at(1), ambiguous: false, error: "503", now: NOW });
      expect((await read(claim.reply.id)).needsReconcile).toBe(true);
    });

    it("an edited post sends the reply back for review with its approval undone and a fresh time to live as long as its first", async () => {
      const createdAt = at(-30);
      const claim = await claimed({ createdAt, expiresAt: at(90), decidedBy: 5, decidedAt: at(-10), needsReconcile: true });
      const later = at(200);
      expect(await returnForReview(db(), claim, { reason: LONG_REASON, now: later })).toBe(true);
      expect(await read(claim.reply.id)).toMatchObject({
        status: "awaiting_approval",
        failureReason: CLIPPED,
        needsReconcile: false,
        decidedBy: null,
        decidedAt: null,
        scheduledAt: null,
        expiresAt: new Date(later.getTime() + 120 * MINUTE),
      });
      expect(await attemptOf(claim.attemptId)).toMatchObject({ outcome: "post_edited", finishedAt: later });
    });

    it("a reply whose time to live is already negative goes back expiring now", async () => {
      const claim = await claimed({ createdAt: at(10), expiresAt: at(5) });
      await returnForReview(db(), claim, { reason: "edited", now: NOW });
      expect((await read(claim.reply.id)).expiresAt).toEqual(NOW);
    });

    it("an opt-out before the POST cancels the claimed reply and clears its flag", async () => {
      const claim = await claimed({ needsReconcile: true });
      expect(await cancelClaimedReply(db(), claim, { reason: LONG_REASON, now: NOW })).toBe(true);
      expect(await read(claim.reply.id)).toMatchObject({ status: "cancelled", failureReason: CLIPPED, needsReconcile: false });
      expect(await attemptOf(claim.attemptId)).toMatchObject({ outcome: "cancelled", error: LONG_REASON });
    });

    it("a lease is extended and an upload kept only while this attempt holds the claim", async () => {
      const claim = await claimed();
      expect(await extendLease(db(), claim, at(15))).toBe(true);
      expect(await recordMediaUpload(db(), claim, { mediaId: "m1", expiresAt: at(1440) })).toBe(true);
      expect(await read(claim.reply.id)).toMatchObject({ leaseUntil: at(15), mediaXId: "m1", mediaXAccountId: claim.accountId, mediaXExpiresAt: at(1440) });
      expect(await recordMediaUpload(db(), claim, { mediaId: "m2", expiresAt: undefined })).toBe(true);
      expect((await read(claim.reply.id)).mediaXExpiresAt).toBeNull();
      const stale = { ...claim, attemptId: "00000000-0000-4000-8000-000000000099" };
      expect(await extendLease(db(), stale, at(30))).toBe(false);
      expect(await recordMediaUpload(db(), stale, { mediaId: "m3", expiresAt: undefined })).toBe(false);
      await retryReply(db(), claim, { at: NOW, ambiguous: false, error: "x", now: NOW });
      expect(await extendLease(db(), claim, at(30))).toBe(false);
      expect(await read(claim.reply.id)).toMatchObject({ mediaXId: "m2", leaseUntil: null });
    });

    it("an unanswered claim's replies go back due now, uncounted, with the attempt closed as a retry; another token's stay", async () => {
      const main = await account("main");
      const reply = await seed("approved", { scheduledAt: at(-1) });
      const other = await seed("approved", { scheduledAt: at(-1) });
      const token = "11111111-1111-4111-8111-111111111111";
      const taken = await claimOne(db(), { accountId: main, now: NOW, leaseSeconds: 120, token });
      const kept = await claimOne(db(), { accountId: main, now: NOW, leaseSeconds: 120, token: "22222222-2222-4222-8222-222222222222" });
      expect(taken?.reply.id).toBe(reply.id);
      expect(kept?.reply.id).toBe(other.id);
      expect(await releaseUnansweredClaim(db(), { accountId: main + 1, token }, at(1))).toEqual([]);
      expect(await releaseUnansweredClaim(db(), { accountId: main, token }, at(1))).toEqual([reply.id]);
      expect(await read(reply.id)).toMatchObject({ status: "approved", scheduledAt: at(1), attemptCount: 0, leaseUntil: null, failureReason: UNANSWERED_CLAIM_REASON });
      expect(await attemptOf(taken!.attemptId)).toMatchObject({ outcome: "retry", finishedAt: at(1), error: UNANSWERED_CLAIM_REASON });
      expect((await read(other.id)).status).toBe("publishing");
    });
  });
});
