/**
 * Publishing a reply with an attachment: the file is downloaded from the chat and uploaded once by the account
 * that claimed it, the media id and its expiry kept so a retry (or a dead-letter retry) posts with it instead of
 * uploading again; a new upload only when the id is about to expire or another account posts; upload and
 * download failures go through the publish rules; an ambiguous POST of a media reply is reconciled.
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deadLetters, replies } from "../../src/db/schema.js";
import { MediaUnavailableError, type MediaSource } from "../../src/workflow/media/types.js";
import { MEDIA_LEASE_MS } from "../../src/workflow/publish/prepare-media.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { createPublishFixture } from "../support/publish-fixture.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const OUR_TOKEN = "publish-media-token";
const OTHER_TOKEN = "publish-media-other-token";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MB = 1024 * 1024;
const DLQ = { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 3 };

/** The chat's files by id, counting downloads; `next` makes the next download fail. */
function chatFiles() {
  const files = new Map<string, Uint8Array>();
  const failures: Error[] = [];
  let downloads = 0;
  let onDownload: (() => Promise<void>) | undefined;
  const source: MediaSource = {
    async download(fileId) {
      downloads++;
      await onDownload?.();
      const failure = failures.shift();
      if (failure) throw failure;
      const bytes = files.get(fileId);
      if (!bytes) throw new MediaUnavailableError("file not found");
      return bytes;
    },
  };
  return {
    source,
    add: (fileId: string, size: number) => files.set(fileId, new Uint8Array(size).fill(7)),
    failNext: (error: Error) => failures.push(error),
    during: (hook: () => Promise<void>) => {
      onDownload = hook;
    },
    downloads: () => downloads,
  };
}

describe.each(databaseTargets())("publishing replies with media on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let x: FakeX;
  let alice: FakeXUser;
  let clock: Date;
  let chat: ReturnType<typeof chatFiles>;

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const posts = () => x.requests({ method: "POST", path: "/2/tweets" });

  beforeAll(async () => {
    x = await startFakeX();
  });
  afterAll(async () => {
    await x.close();
  });
  beforeEach(() => {
    x.reset();
    x.addUser({ id: "730001", username: "replyguy", accessToken: OUR_TOKEN });
    x.addUser({ id: "730003", username: "replyguy_two", accessToken: OTHER_TOKEN });
    alice = x.addUser({ id: "730002", username: "Alice" });
    x.setMediaProcessing({ processingMs: 50, checkAfterSecs: 0.02 });
    clock = new Date();
    chat = chatFiles();
  });

  const fixture = createPublishFixture({ db, x: () => x, now: () => clock, token: OUR_TOKEN });

  /** A due approved reply with `kind` attached (the chat's file `fileId` of `size` bytes). */
  async function seedWithMedia(accountId: number, media: { kind: "image" | "gif" | "video"; mimeType: string; size: number; reportedSize?: number }) {
    const seeded = await fixture.seedReply(accountId, alice);
    const fileId = `file-${seeded.reply.id}`;
    chat.add(fileId, media.size);
    await db()
      .update(replies)
      .set({
        mediaFileId: fileId,
        mediaKind: media.kind,
        mediaMimeType: media.mimeType,
        mediaBytes: media.reportedSize ?? media.size,
        mediaDurationSeconds: media.kind === "video" ? 12 : null,
      })
      .where(eq(replies.id, seeded.reply.id));
    return seeded;
  }

  it("an image is downloaded once, uploaded by the claiming account and posted with its media id, which is kept with its expiry", async () => {
    const h = await fixture.build({ mediaSource: chat.source });
    const { post, reply } = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/png", size: 300_000 });

    await h.publisher.runOnce();

    const row = await fixture.reply(reply.id);
    expect(row.status).toBe("published");
    const [upload] = x.mediaUploads("replyguy");
    expect(x.mediaUploads()).toHaveLength(1);
    expect(upload).toMatchObject({ mediaType: "image/png", category: "tweet_image", totalBytes: 300_000, appendedBytes: 300_000 });
    expect(row).toMatchObject({ mediaXId: upload!.mediaId, mediaXAccountId: h.account.id });
    // X said 86,400 s; the stored expiry is about a day from the upload.
    expect(row.mediaXExpiresAt!.getTime() - Date.now()).toBeGreaterThan(23 * HOUR);
    const published = x.tweet(row.replyTweetId!);
    expect(published?.attachments?.media_keys).toHaveLength(1);
    expect(published?.attachments?.media_keys[0]).toContain(upload!.mediaId);
    expect(x.repliesTo(post.id)).toHaveLength(1);
    expect(chat.downloads()).toBe(1);
  });

  it("a video is uploaded in chunks and waits for X's processing before the POST", async () => {
    const h = await fixture.build({ mediaSource: chat.source });
    const { reply } = await seedWithMedia(h.account.id, { kind: "video", mimeType: "video/mp4", size: 9 * MB });

    await h.publisher.runOnce();

    expect((await fixture.reply(reply.id)).status).toBe("published");
    const [upload] = x.mediaUploads();
    expect(upload).toMatchObject({ category: "tweet_video", state: "succeeded", totalBytes: 9 * MB, segments: 3 });
    expect(x.requests({ method: "GET", path: "/2/media/upload" }).length).toBeGreaterThan(0);
  });

  it("a POST that fails after the upload is retried with the same media id: no second download, no second upload", async () => {
    const h = await fixture.build({ mediaSource: chat.source, retryBaseMs: 1_000 });
    const { post, reply } = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 200_000 });
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 503 }, 1);

    await h.publisher.runOnce();
    const afterFailure = await fixture.reply(reply.id);
    expect(afterFailure).toMatchObject({ status: "approved", attemptCount: 1 });
    expect(afterFailure.mediaXId).toBe(x.mediaUploads()[0]!.mediaId);

    advance(MINUTE);
    await h.publisher.runOnce();

    expect((await fixture.reply(reply.id)).status).toBe("published");
    expect(x.mediaUploads()).toHaveLength(1);
    expect(chat.downloads()).toBe(1);
    expect(posts()).toHaveLength(2);
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("a dead-letter retry reuses the media id too", async () => {
    const h = await fixture.buildWithQueue(DLQ, { mediaSource: chat.source, maxAttempts: 2, retryBaseMs: 1_000 });
    const { post, reply } = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 100_000 });
    // The POST's answer is lost (a retry, reconciled first), then the reconcile's read fails: attempts used up.
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 503 }, 1);
    x.enqueueFault({ method: "GET", path: "/2/users/:id/tweets" }, { kind: "status", status: 503 }, 1);
    await h.publisher.runOnce();
    advance(MINUTE);
    await h.publisher.runOnce();
    expect((await fixture.reply(reply.id)).status).toBe("failed");
    const [entry] = await db().select().from(deadLetters).where(eq(deadLetters.replyId, reply.id));
    expect(entry).toMatchObject({ status: "pending", retryable: true });

    advance(2 * MINUTE);
    await h.queue.runDue();

    expect((await fixture.reply(reply.id)).status).toBe("published");
    expect(x.mediaUploads()).toHaveLength(1);
    expect(chat.downloads()).toBe(1);
    expect(x.repliesTo(post.id)).toHaveLength(1);
  });

  it("a media id with under 15 minutes left is not reused: the retry uploads again", async () => {
    const h = await fixture.build({ mediaSource: chat.source, retryBaseMs: 1_000 });
    const { reply } = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 100_000 });
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 503 }, 1);
    await h.publisher.runOnce();
    const first = (await fixture.reply(reply.id)).mediaXId;

    advance(24 * HOUR - 10 * MINUTE);
    await h.publisher.runOnce();

    const row = await fixture.reply(reply.id);
    expect(row.status).toBe("published");
    expect(x.mediaUploads()).toHaveLength(2);
    expect(row.mediaXId).not.toBe(first);
    expect(row.mediaXId).toBe(x.mediaUploads()[1]!.mediaId);
  });

  it("media ids belong to their account: when another account posts the reply, it uploads its own", async () => {
    const h = await fixture.build({ mediaSource: chat.source, retryBaseMs: 1_000, pool: [{ label: "second", token: OTHER_TOKEN }] });
    const [first, second] = h.accounts.all();
    const { reply } = await seedWithMedia(first!.id, { kind: "image", mimeType: "image/jpeg", size: 100_000 });
    await db().update(replies).set({ boundAccountId: first!.id }).where(eq(replies.id, reply.id));
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "rateLimited", resetInSeconds: 3_600 }, 1);
    await h.publisher.runOnce();
    expect(await fixture.reply(reply.id)).toMatchObject({ status: "approved", mediaXAccountId: first!.id });
    // Only the second account may post it now (rebound, as an admin moving it would).
    await db().update(replies).set({ boundAccountId: second!.id, scheduledAt: clock }).where(eq(replies.id, reply.id));
    advance(MINUTE);
    await h.publisher.runOnce();

    const row = await fixture.reply(reply.id);
    expect(row).toMatchObject({ status: "published", accountId: second!.id, mediaXAccountId: second!.id });
    expect(x.mediaUploads().map((upload) => upload.ownerId)).toEqual(["730001", "730003"]);
    expect(row.mediaXId).toBe(x.mediaUploads()[1]!.mediaId);
  });

  it("X failing to process the video fails the reply for good: dead-lettered with the reason, nothing posted", async () => {
    const h = await fixture.buildWithQueue(DLQ, { mediaSource: chat.source });
    const { reply } = await seedWithMedia(h.account.id, { kind: "video", mimeType: "video/mp4", size: 2 * MB });
    x.failNextMediaProcessing("Unsupported video codec");

    await h.publisher.runOnce();

    const row = await fixture.reply(reply.id);
    expect(row.status).toBe("failed");
    expect(row.failureReason).toMatch(/^could not prepare the attachment: .*Unsupported video codec/);
    expect(posts()).toHaveLength(0);
    const [entry] = await db().select().from(deadLetters).where(eq(deadLetters.replyId, reply.id));
    expect(entry).toMatchObject({ retryable: false });
  });

  it("an upload step X answers 503 to is retried later (counted); the next run uploads and posts", async () => {
    const h = await fixture.build({ mediaSource: chat.source, retryBaseMs: 1_000 });
    const { reply } = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 100_000 });
    x.enqueueFault({ method: "POST", path: "/2/media/upload/initialize" }, { kind: "status", status: 503 }, 1);

    await h.publisher.runOnce();
    const retrying = await fixture.reply(reply.id);
    expect(retrying).toMatchObject({ status: "approved", attemptCount: 1, needsReconcile: false, mediaXId: null });
    expect(retrying.failureReason).toMatch(/^could not prepare the attachment/);
    expect(posts()).toHaveLength(0);

    advance(MINUTE);
    await h.publisher.runOnce();
    expect((await fixture.reply(reply.id)).status).toBe("published");
    expect(posts()).toHaveLength(1);
  });

  it("a download that fails for now is retried; a file the chat can never give fails the reply without retry", async () => {
    const h = await fixture.buildWithQueue(DLQ, { mediaSource: chat.source, retryBaseMs: 1_000 });
    const transient = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 100_000 });
    chat.failNext(new Error("Telegram answered 502"));
    await h.publisher.runOnce();
    const retrying = await fixture.reply(transient.reply.id);
    expect(retrying).toMatchObject({ status: "approved", attemptCount: 1 });
    expect(retrying.failureReason).toBe("could not prepare the attachment: the download from Telegram failed: Telegram answered 502");
    advance(MINUTE);
    await h.publisher.runOnce();
    expect((await fixture.reply(transient.reply.id)).status).toBe("published");

    const gone = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 100_000 });
    chat.failNext(new MediaUnavailableError("file is too big"));
    await h.publisher.runOnce();
    const row = await fixture.reply(gone.reply.id);
    expect(row.status).toBe("failed");
    expect(row.failureReason).toBe("could not prepare the attachment: it cannot be downloaded from Telegram: file is too big");
    const [entry] = await db().select().from(deadLetters).where(eq(deadLetters.replyId, gone.reply.id));
    expect(entry).toMatchObject({ errorType: "media_unavailable", retryable: false });
  });

  it("bytes over X's limit for the kind (the chat under-reported the size) fail the reply before any upload", async () => {
    const h = await fixture.build({ mediaSource: chat.source });
    const { reply } = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 6 * MB, reportedSize: 1 * MB });

    await h.publisher.runOnce();

    const row = await fixture.reply(reply.id);
    expect(row.status).toBe("failed");
    expect(row.failureReason).toBe("could not prepare the attachment: the attachment is 6 MB, over X's 5 MB for its kind");
    expect(x.mediaUploads()).toHaveLength(0);
    expect(posts()).toHaveLength(0);
  });

  it("the lease is extended before the download and upload; a claim lost meanwhile posts nothing and keeps nothing", async () => {
    const h = await fixture.build({ mediaSource: chat.source, leaseSeconds: 60 });
    const { reply } = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 100_000 });
    let leaseDuringDownload: Date | null = null;
    chat.during(async () => {
      const [row] = await db().select().from(replies).where(eq(replies.id, reply.id));
      leaseDuringDownload = row!.leaseUntil;
      // Another worker takes the claim over (its lease had run out, say).
      await db().update(replies).set({ attemptId: randomUUID() }).where(eq(replies.id, reply.id));
    });

    await h.publisher.runOnce();

    expect(leaseDuringDownload).toEqual(new Date(clock.getTime() + MEDIA_LEASE_MS));
    const row = await fixture.reply(reply.id);
    expect(row).toMatchObject({ status: "publishing", mediaXId: null });
    expect(posts()).toHaveLength(0);
  });

  it("a media reply whose POST may have gone through is reconciled on the next attempt: found, not posted again", async () => {
    const h = await fixture.build({ mediaSource: chat.source, retryBaseMs: 1_000 });
    const { post, reply } = await seedWithMedia(h.account.id, { kind: "image", mimeType: "image/jpeg", size: 100_000 });
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDrop" }, 1);

    await h.publisher.runOnce();
    expect(await fixture.reply(reply.id)).toMatchObject({ status: "approved", needsReconcile: true });
    advance(MINUTE);
    await h.publisher.runOnce();

    const row = await fixture.reply(reply.id);
    expect(row.status).toBe("published");
    // X shows the text with a t.co link after it; the reconcile still recognises our reply.
    expect(x.repliesTo(post.id)).toHaveLength(1);
    expect(row.replyTweetId).toBe(x.repliesTo(post.id)[0]!.id);
    expect(posts()).toHaveLength(1);
    expect(x.mediaUploads()).toHaveLength(1);
  });
});
