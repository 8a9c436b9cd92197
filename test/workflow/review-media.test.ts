/**
 * Attaching media to a draft and removing it are review actions: checked first (a refusal changes nothing),
 * guarded moves of a draft that awaits approval, recorded, and followed by a card redraw. A new attachment
 * forgets an earlier upload to X (it was of another file).
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { posts, replies, workflowEvents, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { createReview } from "../../src/workflow/review.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const ADA = 1001;
const MB = 1024 * 1024;
const photo = { fileId: "AgAD-photo", mimeType: "image/jpeg", bytes: 400_000, durationSeconds: undefined };

describe("attaching media to a draft", () => {
  let database: TestDatabase;
  let accountId: number;
  let redraws: number;
  let seq = 0;

  const db = () => database.handle.db;
  const review = (downloadLimitBytes?: number) =>
    createReview({
      db: db(),
      settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      drafter: undefined,
      timeZone: "UTC",
      now: () => NOW,
      redrawCards: () => {
        redraws++;
      },
      mediaLimits: downloadLimitBytes === undefined ? undefined : { downloadLimitBytes },
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
    redraws = 0;
  });

  async function seed(status: ReplyStatus = "awaiting_approval", expiresAt = new Date(NOW.getTime() + 3_600_000)) {
    seq++;
    const tweetId = `99${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "2", authorUsername: "alice", text: "@replyguy hi?", source: "mention", sourceDetail: "m", accountId, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, accountId, status, draft: "Hello there.", weightedLength: 12, expiresAt })
      .returning();
    return reply!;
  }

  const row = async (id: number) => (await findReply(db(), id))!;
  const events = async (id: number) => (await db().select().from(workflowEvents).where(eq(workflowEvents.replyId, id))).map((event) => event.kind);

  it("stores a valid attachment, bumps the version, records who did it and redraws the card", async () => {
    const reply = await seed();
    const result = await review().attachMedia(reply.id, photo, ADA);

    expect(result.ok).toBe(true);
    expect(await row(reply.id)).toMatchObject({
      status: "awaiting_approval",
      version: reply.version + 1,
      mediaFileId: "AgAD-photo",
      mediaKind: "image",
      mediaMimeType: "image/jpeg",
      mediaBytes: 400_000,
      mediaDurationSeconds: null,
    });
    expect(await events(reply.id)).toEqual(["media_attached"]);
    expect(redraws).toBe(1);
  });

  it("a refused attachment names the limit and changes nothing", async () => {
    const reply = await seed();
    const before = await row(reply.id);

    const tooLong = await review().attachMedia(reply.id, { fileId: "v", mimeType: "video/mp4", bytes: MB, durationSeconds: 200 }, ADA);
    const tooBig = await review().attachMedia(reply.id, { fileId: "v", mimeType: "video/mp4", bytes: 30 * MB, durationSeconds: 20 }, ADA);

    expect(tooLong).toEqual({ ok: false, message: "This video is 200 s long: X takes at most 140 s. The draft is unchanged." });
    expect(tooBig).toMatchObject({ ok: false, message: expect.stringContaining("at most 20 MB from Telegram") });
    expect(await row(reply.id)).toEqual(before);
    expect(await events(reply.id)).toEqual([]);
    expect(redraws).toBe(0);
  });

  it("the download limit is a setting: with a local Bot API server's limit a 30 MB video is taken", async () => {
    const reply = await seed();
    const result = await review(2000 * MB).attachMedia(reply.id, { fileId: "v", mimeType: "video/mp4", bytes: 30 * MB, durationSeconds: 20 }, ADA);
    expect(result.ok).toBe(true);
    expect((await row(reply.id)).mediaKind).toBe("video");
  });

  it("a new attachment replaces the old one and forgets its upload to X", async () => {
    const reply = await seed();
    await review().attachMedia(reply.id, photo, ADA);
    await db()
      .update(replies)
      .set({ mediaXId: "1146654567674912769", mediaXAccountId: accountId, mediaXExpiresAt: new Date(NOW.getTime() + 3_600_000) })
      .where(eq(replies.id, reply.id));

    await review().attachMedia(reply.id, { fileId: "AgAD-gif", mimeType: "image/gif", bytes: 2 * MB, durationSeconds: 3 }, ADA);

    expect(await row(reply.id)).toMatchObject({ mediaFileId: "AgAD-gif", mediaKind: "gif", mediaXId: null, mediaXAccountId: null, mediaXExpiresAt: null });
  });

  it("removing it leaves a text-only draft; removing when there is none is refused", async () => {
    const reply = await seed();
    await review().attachMedia(reply.id, photo, ADA);

    expect((await review().removeMedia(reply.id, ADA)).ok).toBe(true);
    expect(await row(reply.id)).toMatchObject({ mediaFileId: null, mediaKind: null, mediaMimeType: null, mediaBytes: null });
    expect(await review().removeMedia(reply.id, ADA)).toEqual({ ok: false, message: "This draft has no attachment." });
    expect(await events(reply.id)).toEqual(["media_attached", "media_removed"]);
  });

  it("only a draft awaiting approval, not expired, takes an attachment", async () => {
    const approved = await seed("approved");
    const expired = await seed("awaiting_approval", new Date(NOW.getTime() - 1_000));

    expect(await review().attachMedia(approved.id, photo, ADA)).toEqual({ ok: false, message: "Already approved." });
    expect(await review().attachMedia(expired.id, photo, ADA)).toEqual({ ok: false, message: "This draft has expired." });
    expect(await review().removeMedia(approved.id, ADA)).toEqual({ ok: false, message: "Already approved." });
    expect((await row(approved.id)).mediaFileId).toBeNull();
    expect((await row(expired.id)).mediaFileId).toBeNull();
  });
});
