// The fake X's v2 media upload on the wire: raw HTTP (fetch's own multipart encoding) and twitter-api-v2's uploadMedia.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestTwitterClient, startFakeX, X_INVALID_MEDIA_IDS_MESSAGE } from "../support/fake-x/index.js";
import type { FakeX, FakeXUser } from "../support/fake-x/index.js";

interface Answer {
  status: number;
  body: { data?: Record<string, unknown>; errors?: { message: string }[] };
}

describe("fake X media upload", () => {
  let fake: FakeX;
  let bot: FakeXUser;

  beforeAll(async () => {
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.setMediaProcessing({ processingMs: 150, checkAfterSecs: 0.05 });
    bot = fake.addUser({ username: "replyguy", accessToken: "bot-token" });
    fake.addUser({ username: "alice", accessToken: "alice-token" });
  });

  async function call(path: string, init: { method?: string; json?: unknown; form?: FormData; token?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? "bot-token"}` };
    if (init.json !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${fake.baseUrl}${path}`, {
      method: init.method ?? (init.json !== undefined || init.form ? "POST" : "GET"),
      headers,
      body: init.form ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Answer["body"]) : {} };
  }

  const init = (type: string, bytes: number, category: string, token?: string): Promise<Answer> =>
    call("/2/media/upload/initialize", { json: { media_type: type, total_bytes: bytes, media_category: category }, token });

  function append(id: string, index: number, bytes: Uint8Array, token?: string): Promise<Answer> {
    const form = new FormData();
    form.append("segment_index", String(index));
    form.append("media", new Blob([bytes]), "chunk");
    return call(`/2/media/upload/${id}/append`, { form, token });
  }

  async function uploaded(type: string, size: number, category: string): Promise<string> {
    const id = String((await init(type, size, category)).body.data?.id);
    await append(id, 0, new Uint8Array(size));
    return id;
  }

  it("applies X's size limit per category and checks type against category", async () => {
    expect((await init("image/png", 5 * 1024 * 1024, "tweet_image")).status).toBe(200);
    const big = await init("image/png", 5 * 1024 * 1024 + 1, "tweet_image");
    expect([big.status, big.body.errors?.[0]?.message]).toEqual([400, "File size exceeds 5242880 bytes."]);
    expect((await init("image/gif", 15 * 1024 * 1024, "tweet_gif")).status).toBe(200);
    expect((await init("image/gif", 15 * 1024 * 1024 + 1, "tweet_gif")).status).toBe(400);
    expect((await init("video/quicktime", 512 * 1024 * 1024, "tweet_video")).status).toBe(200);
    expect((await init("video/mp4", 512 * 1024 * 1024 + 1, "tweet_video")).status).toBe(400);
    expect((await init("video/mp4", 10, "tweet_image")).status).toBe(400);
    expect((await init("image/png", 10, "amplify_video")).status).toBe(400);
    expect((await init("image/png", 0, "tweet_image")).status).toBe(400);
    expect(fake.mediaUploads().map((m) => m.state)).toEqual(["uploading", "uploading", "uploading"]);
  });

  it("counts appended bytes per segment, refuses unknown or foreign ids and a finalize short of total_bytes", async () => {
    const id = String((await init("image/jpeg", 10, "tweet_image")).body.data?.id);
    expect(id).toMatch(/^\d{19}$/);
    expect((await append(id, 0, new Uint8Array(4))).status).toBe(200);
    expect((await append(id, 0, new Uint8Array(4))).status).toBe(200);
    expect((await call(`/2/media/upload/${id}/finalize`, { method: "POST" })).status).toBe(400);
    expect((await append("999", 1, new Uint8Array(6))).status).toBe(400);
    expect((await append(id, 1, new Uint8Array(6), "alice-token")).status).toBe(400);
    expect(fake.mediaUploads("replyguy")[0]).toMatchObject({ appends: 2, segments: 1, appendedBytes: 4, state: "uploading" });
    expect((await append(id, 1, new Uint8Array(6))).status).toBe(200);
    const done = await call(`/2/media/upload/${id}/finalize`, { method: "POST" });
    expect([done.status, done.body.data?.processing_info]).toEqual([200, undefined]);
    expect(fake.mediaUploads("replyguy")[0]).toMatchObject({ appendedBytes: 10, state: "succeeded", ownerId: bot.id });
    expect(fake.mediaUploads("alice")).toEqual([]);
    const [recorded] = fake.requests({ endpoint: "POST /2/media/upload/:id/append" });
    expect(recorded?.body).toEqual({ segment_index: "0", media: Buffer.alloc(4) });
  });

  it("processes a video: pending at finalize, in_progress on STATUS, then succeeded; or failed when asked", async () => {
    const id = await uploaded("video/mp4", 8, "tweet_video");
    const finalized = await call(`/2/media/upload/${id}/finalize`, { method: "POST" });
    expect(finalized.body.data).toMatchObject({ id, processing_info: { state: "pending", check_after_secs: 0.05 }, expires_after_secs: 86_400 });
    const status = (): Promise<Answer> => call(`/2/media/upload?command=STATUS&media_id=${id}`);
    expect((await status()).body.data?.processing_info).toMatchObject({ state: "in_progress" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await status()).body.data?.processing_info).toMatchObject({ state: "succeeded" });

    fake.failNextMediaProcessing("Video too long");
    fake.setMediaProcessing({ processingMs: 0 });
    const bad = await uploaded("video/mp4", 8, "tweet_video");
    await call(`/2/media/upload/${bad}/finalize`, { method: "POST" });
    const failed = await call(`/2/media/upload?command=STATUS&media_id=${bad}`);
    expect(failed.body.data?.processing_info).toMatchObject({ state: "failed", error: { message: "Video too long" } });
    expect(fake.mediaUploads().map((m) => m.state)).toEqual(["succeeded", "failed"]);
  });

  it("expires media ids (explicitly or after expires_after_secs) and refuses them everywhere", async () => {
    const id = await uploaded("image/png", 5, "tweet_image");
    await call(`/2/media/upload/${id}/finalize`, { method: "POST" });
    fake.expireMedia(id);
    expect((await call(`/2/media/upload?command=STATUS&media_id=${id}`)).status).toBe(400);
    const root = fake.addTweet({ authorId: bot.id, text: "root" });
    const post = await call("/2/tweets", { json: { text: "hi", reply: { in_reply_to_tweet_id: root.id }, media: { media_ids: [id] } } });
    expect([post.status, post.body.errors?.[0]?.message]).toEqual([400, X_INVALID_MEDIA_IDS_MESSAGE]);

    fake.setMediaProcessing({ expiresAfterSecs: 0.05 });
    const short = await uploaded("image/png", 5, "tweet_image");
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await call(`/2/media/upload/${short}/finalize`, { method: "POST" })).status).toBe(400);
    expect(fake.mediaUploads().map((m) => m.state)).toEqual(["expired", "expired"]);
  });

  it("shows a media post's attachments and t.co-suffixed text on every read", async () => {
    const id = await uploaded("image/png", 5, "tweet_image");
    await call(`/2/media/upload/${id}/finalize`, { method: "POST" });
    const post = await call("/2/tweets", { json: { text: "with a picture", media: { media_ids: [id] } } });
    const tweetId = String(post.body.data?.id);
    const text = String(post.body.data?.text);
    expect(text).toMatch(/^with a picture https:\/\/t\.co\/[A-Za-z0-9]{10}$/);
    expect((await call(`/2/tweets/${tweetId}`)).body.data).toMatchObject({ text, attachments: { media_keys: [`3_${id}`] } });
    const timeline = await call(`/2/users/${bot.id}/tweets`);
    expect(timeline.body.data).toEqual([expect.objectContaining({ id: tweetId, text })]);
  });

  it("applies faults and rate limits to the media endpoint keys", async () => {
    fake.enqueueFault({ path: "/2/media/upload/initialize" }, { kind: "status", status: 503 });
    expect((await init("image/png", 5, "tweet_image")).status).toBe(503);
    expect(fake.mediaUploads()).toEqual([]);
    const id = String((await init("image/png", 5, "tweet_image")).body.data?.id);
    fake.enqueueFault({ path: "/2/media/upload/:id/append" }, { kind: "drop" });
    await expect(append(id, 0, new Uint8Array(5))).rejects.toThrow();
    expect(fake.mediaUploads()[0]?.appends).toBe(0);
    await append(id, 0, new Uint8Array(5));
    fake.enqueueFault({ path: "/2/media/upload/:id/finalize" }, { kind: "status", status: 500 });
    expect((await call(`/2/media/upload/${id}/finalize`, { method: "POST" })).status).toBe(500);
    fake.enqueueFault({ method: "GET", path: "/2/media/upload" }, { kind: "status", status: 502 });
    expect((await call(`/2/media/upload?command=STATUS&media_id=${id}`)).status).toBe(502);
    fake.setRateLimit("POST /2/media/upload/:id/finalize", 1, 900);
    expect((await call(`/2/media/upload/${id}/finalize`, { method: "POST" })).status).toBe(200);
    expect((await call(`/2/media/upload/${id}/finalize`, { method: "POST" })).status).toBe(429);
    expect(fake.requests().map((r) => r.endpoint)).toContain("GET /2/media/upload");
  });

  it("serves twitter-api-v2's own v2 uploadMedia (chunked, waiting for processing)", async () => {
    const client = createTestTwitterClient(fake, "bot-token");
    const bytes = Buffer.alloc(2500, 7);
    const id = await client.v2.uploadMedia(bytes, { media_type: "video/mp4", media_category: "tweet_video" }, 1000);
    expect(fake.mediaUploads()).toEqual([expect.objectContaining({ mediaId: id, appends: 3, appendedBytes: 2500, state: "succeeded" })]);
  });

  it("refuses media uploads to an OAuth 2.0 token granted without media.write with a bare 403, as X does", async () => {
    const verifier = "v".repeat(43);
    fake.addOAuth2Client({ clientId: "app", redirectUris: ["https://bot.example/cb"] });
    async function accessToken(scope: string): Promise<string> {
      const code = fake.authorize("replyguy", {
        clientId: "app",
        redirectUri: "https://bot.example/cb",
        codeChallenge: verifier,
        codeChallengeMethod: "plain",
        scope,
      });
      const form = { grant_type: "authorization_code", code, redirect_uri: "https://bot.example/cb", code_verifier: verifier, client_id: "app" };
      const response = await fetch(`${fake.baseUrl}/2/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form).toString(),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    }
    const withoutMedia = await accessToken("tweet.read tweet.write users.read offline.access");
    const withMedia = await accessToken("tweet.read tweet.write users.read offline.access media.write");
    const refused = await init("image/png", 5, "tweet_image", withoutMedia);
    expect([refused.status, (refused.body as { detail?: string }).detail]).toEqual([403, "Forbidden"]);
    expect((await call("/2/users/me", { token: withoutMedia })).status).toBe(200);
    expect((await init("image/png", 5, "tweet_image", withMedia)).status).toBe(200);
    expect((await init("image/png", 5, "tweet_image", "bot-token")).status).toBe(200);
    expect(fake.mediaUploads()).toHaveLength(2);
  });

  it("reset() forgets uploads and media settings", async () => {
    fake.setMediaProcessing({ expiresAfterSecs: 5 });
    await init("image/png", 5, "tweet_image");
    fake.reset();
    fake.addUser({ username: "replyguy", accessToken: "bot-token" });
    expect(fake.mediaUploads()).toEqual([]);
    expect((await init("image/png", 5, "tweet_image")).body.data?.expires_after_secs).toBe(86_400);
  });
});
