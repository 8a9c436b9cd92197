// The X port's v2 media upload and media replies against the fake X.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ResiliencePolicy } from "../../src/resilience/policy.js";
import { resilientXClient } from "../../src/resilience/resilient-x-client.js";
import { isXApiError } from "../../src/x/errors.js";
import { findExistingReply } from "../../src/x/reconcile.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient, XMediaFile } from "../../src/x/types.js";
import { startFakeX, X_INVALID_MEDIA_IDS_MESSAGE, type FakeX, type FakeXTweet, type FakeXUser } from "../support/fake-x/index.js";
import { rejectionOf, TEST_ACCESS_SECRET, TEST_APP_SECRET } from "./x-test-client.js";

const CHUNK = 1024;

function clientFor(fake: FakeX, accessToken: string): XAccountClient {
  return createXAccountClient({
    apiRoot: fake.baseUrl,
    credentials: { appKey: "test-app-key", appSecret: TEST_APP_SECRET, accessToken, accessSecret: TEST_ACCESS_SECRET },
    requestTimeoutMs: 2_000,
    mediaChunkBytes: CHUNK,
    mediaProcessingTimeoutMs: 3_000,
  });
}

function file(size: number, mimeType: string, category: XMediaFile["category"]): XMediaFile {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  return { bytes, mimeType, category };
}

const jpeg = (size = 600): XMediaFile => file(size, "image/jpeg", "tweet_image");
const mp4 = (size = 2 * CHUNK + 100): XMediaFile => file(size, "video/mp4", "tweet_video");

describe("media upload and media replies (X port against the fake)", () => {
  let fake: FakeX;
  let bot: FakeXUser;
  let alice: FakeXUser;
  let client: XAccountClient;
  let root: FakeXTweet;

  beforeAll(async () => {
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.setMediaProcessing({ processingMs: 150, checkAfterSecs: 0.1 });
    bot = fake.addUser({ username: "replyguy", accessToken: "bot-token" });
    alice = fake.addUser({ username: "alice", accessToken: "alice-token" });
    root = fake.addTweet({ authorId: alice.id, text: "@replyguy show me" });
    client = clientFor(fake, "bot-token");
  });

  it("uploads an image in one append, ready at finalize, with no status read", async () => {
    const uploaded = await client.uploadMedia(jpeg());
    expect(fake.mediaUploads("replyguy")).toEqual([
      expect.objectContaining({ mediaId: uploaded.mediaId, category: "tweet_image", totalBytes: 600, appendedBytes: 600, appends: 1, state: "succeeded" }),
    ]);
    expect(fake.requests({ endpoint: "GET /2/media/upload" })).toHaveLength(0);
    const [init] = fake.requests({ endpoint: "POST /2/media/upload/initialize" });
    expect(init?.body).toEqual({ media_type: "image/jpeg", total_bytes: 600, media_category: "tweet_image" });
  });

  it("sends a video larger than a chunk in several appends, in order, with the bytes intact", async () => {
    const video = mp4();
    await client.uploadMedia(video);
    const appends = fake.requests({ endpoint: "POST /2/media/upload/:id/append" });
    expect(appends.map((r) => (r.body as Record<string, unknown>).segment_index)).toEqual(["0", "1", "2"]);
    const sent = Buffer.concat(appends.map((r) => (r.body as { media: Buffer }).media));
    expect(sent.equals(Buffer.from(video.bytes))).toBe(true);
    expect(fake.mediaUploads()[0]).toMatchObject({ segments: 3, appendedBytes: video.bytes.length, state: "succeeded" });
  });

  it("waits while X processes a video (pending, in progress) and returns once it succeeded", async () => {
    fake.setMediaProcessing({ processingMs: 350, checkAfterSecs: 0.1 });
    const uploaded = await client.uploadMedia(mp4());
    expect(fake.mediaUploads()[0]?.state).toBe("succeeded");
    expect(fake.requests({ endpoint: "GET /2/media/upload" }).length).toBeGreaterThanOrEqual(2);
    expect(fake.requests({ endpoint: "GET /2/media/upload" })[0]?.query).toEqual({ command: "STATUS", media_id: uploaded.mediaId });
  });

  it("fails permanently when X's processing fails, naming X's reason", async () => {
    fake.failNextMediaProcessing("Unsupported video codec");
    const error = await rejectionOf(client.uploadMedia(mp4()));
    expect(isXApiError(error) && error.kind).toBe("permanent");
    expect(error instanceof Error && error.message).toContain("Unsupported video codec");
  });

  it("gives up as a transient error when X is still processing after the processing timeout", async () => {
    fake.setMediaProcessing({ processingMs: 60_000, checkAfterSecs: 0.2 });
    const impatient = createXAccountClient({
      apiRoot: fake.baseUrl,
      credentials: { appKey: "k", appSecret: TEST_APP_SECRET, accessToken: "bot-token", accessSecret: TEST_ACCESS_SECRET },
      mediaProcessingTimeoutMs: 500,
    });
    const error = await rejectionOf(impatient.uploadMedia(mp4(100)));
    expect(isXApiError(error) && error.kind).toBe("transient");
    expect(fake.mediaUploads()[0]?.state).toBe("processing");
  });

  it("stops waiting for processing at once when the caller aborts", async () => {
    fake.setMediaProcessing({ processingMs: 60_000, checkAfterSecs: 5 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("shutting down")), 150);
    const startedAt = Date.now();
    const error = await rejectionOf(client.uploadMedia(mp4(100), { signal: controller.signal }));
    expect(isXApiError(error)).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(fake.requests({ endpoint: "GET /2/media/upload" })).toHaveLength(0);
  });

  it("turns expires_after_secs into expiresAt", async () => {
    fake.setMediaProcessing({ expiresAfterSecs: 3_600 });
    const before = Date.now();
    const { expiresAt } = await client.uploadMedia(jpeg());
    expect(expiresAt?.getTime()).toBeGreaterThanOrEqual(before + 3_598_000);
    expect(expiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it("refuses a file over the category's limit with a permanent 400, before any byte is sent", async () => {
    const error = await rejectionOf(client.uploadMedia({ ...jpeg(), bytes: new Uint8Array(5 * 1024 * 1024 + 1) }));
    expect(isXApiError(error) && [error.kind, error.status]).toEqual(["permanent", 400]);
    expect(fake.requests({ endpoint: "POST /2/media/upload/:id/append" })).toHaveLength(0);
    expect(fake.mediaUploads()).toHaveLength(0);
  });

  it("posts a reply with the media id: X stores the media and ends the text with a t.co link", async () => {
    const { mediaId } = await client.uploadMedia(jpeg());
    const posted = await client.postReply("Look at this.", root.id, undefined, [mediaId]);
    expect(posted.text).toMatch(/^Look at this\. https:\/\/t\.co\/\w+$/);
    const stored = fake.tweet(posted.id);
    expect(stored?.attachments).toEqual({ media_keys: [`3_${mediaId}`] });
    expect(stored?.text).toBe(posted.text);
    expect(fake.requests({ endpoint: "POST /2/tweets" })[0]?.body).toMatchObject({ media: { media_ids: [mediaId] } });
  });

  it("refuses another user's, an expired or an unprocessed media id with a permanent 400", async () => {
    const theirs = await clientFor(fake, "alice-token").uploadMedia(jpeg());
    const mine = await client.uploadMedia(jpeg(700));
    fake.expireMedia(mine.mediaId);
    const init = await fetch(`${fake.baseUrl}/2/media/upload/initialize`, {
      method: "POST",
      headers: { authorization: "Bearer bot-token", "content-type": "application/json" },
      body: JSON.stringify({ media_type: "video/mp4", total_bytes: 1, media_category: "tweet_video" }),
    });
    const unfinished = ((await init.json()) as { data: { id: string } }).data.id;
    for (const id of [theirs.mediaId, mine.mediaId, unfinished, "123"]) {
      const error = await rejectionOf(client.postReply(`Media ${id}`, root.id, undefined, [id]));
      expect(isXApiError(error) && [error.kind, error.status]).toEqual(["permanent", 400]);
      expect(error instanceof Error && error.message).toContain(X_INVALID_MEDIA_IDS_MESSAGE);
    }
    expect(fake.repliesTo(root.id)).toHaveLength(0);
  });

  it("reconcile finds a media reply although X returns its text with the t.co link", async () => {
    const { mediaId } = await client.uploadMedia(jpeg());
    fake.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDrop" });
    const error = await rejectionOf(client.postReply("Here is the chart.", root.id, undefined, [mediaId]));
    expect(isXApiError(error) && error.mayHaveSucceeded).toBe(true);
    fake.addTweet({ authorId: bot.id, text: "@alice a later, other reply", inReplyToTweetId: root.id });

    const found = await findExistingReply(client, bot.id, root.id, { text: "Here is the chart." });
    expect(found?.text).toMatch(/^Here is the chart\. https:\/\/t\.co\/\w+$/);
    expect(found?.id).toBe(fake.repliesTo(root.id)[0]?.id);
  });

  it("through the resilient client, a 503 on one append retries that append only", async () => {
    const policy = new ResiliencePolicy(
      "x:media",
      { timeoutMs: 2_000, retries: 2, baseDelayMs: 1, maxDelayMs: 1, breakerThreshold: 5, halfOpenAfterMs: 60_000 },
      { onStateChange: () => undefined },
    );
    const resilient = resilientXClient(client, policy);
    const first = await client.uploadMedia(jpeg());
    fake.enqueueFault({ method: "POST", path: "/2/media/upload/:id/append" }, { kind: "status", status: 503 });
    await resilient.uploadMedia(mp4());

    const second = fake.mediaUploads().filter((m) => m.mediaId !== first.mediaId);
    expect(second).toEqual([expect.objectContaining({ appends: 3, segments: 3, state: "succeeded" })]);
    const video = second[0]?.mediaId ?? "";
    expect(fake.requests({ endpoint: "POST /2/media/upload/initialize" })).toHaveLength(2);
    const appends = fake.requests({ path: `/2/media/upload/${video}/append` });
    expect(appends.map((r) => [(r.body as Record<string, unknown>).segment_index, r.status])).toEqual([
      ["0", 503],
      ["0", 200],
      ["1", 200],
      ["2", 200],
    ]);
  });
});
