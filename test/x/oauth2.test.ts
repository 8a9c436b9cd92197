import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { XApiError } from "../../src/x/errors.js";
import { DEFAULT_X_AUTHORIZE_URL, createXOAuth2App, type XOAuth2App, type XOAuth2Tokens } from "../../src/x/oauth2.js";
import { findExistingReply } from "../../src/x/reconcile.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient } from "../../src/x/types.js";
import { startFakeX } from "../support/fake-x/index.js";
import type { FakeX, FakeXUser } from "../support/fake-x/index.js";
import { rejectionOf } from "./x-test-client.js";

const CLIENT_ID = "oauth2-client-id";
const CLIENT_SECRET = "client-secret-DO-NOT-LEAK";
const REDIRECT_URI = "https://bot.example/x/oauth/callback";
const AUTHORIZE_URL = "https://authorize.example/i/oauth2/authorize";

async function xError(promise: Promise<unknown>): Promise<XApiError> {
  const error = await rejectionOf(promise);
  if (!(error instanceof XApiError)) throw new Error(`expected XApiError, got ${String(error)}`);
  return error;
}

describe("OAuth 2.0 user context against the fake X", () => {
  let fake: FakeX;
  let bot: FakeXUser;
  let alice: FakeXUser;
  let app: XOAuth2App;

  function oauth2Client(accessToken: string | (() => string)): XAccountClient {
    return createXAccountClient({ apiRoot: fake.baseUrl, credentials: { kind: "oauth2", accessToken }, requestTimeoutMs: 2_000 });
  }

  /** The whole connect flow: link, "Authorize app" as the bot account, callback, code exchange. */
  async function connect(using: XOAuth2App = app): Promise<XOAuth2Tokens> {
    const link = using.authLink();
    const callback = new URL(fake.approveAuthorizationLink(link.url, bot.id));
    expect(callback.searchParams.get("state")).toBe(link.state);
    return using.exchangeCode(callback.searchParams.get("code") ?? "", link.codeVerifier);
  }

  beforeAll(async () => {
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    bot = fake.addUser({ username: "replyguy", name: "Reply Guy" });
    alice = fake.addUser({ username: "alice" });
    fake.addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] });
    app = createXOAuth2App({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: REDIRECT_URI,
      apiRoot: fake.baseUrl,
      authorizeUrl: AUTHORIZE_URL,
      requestTimeoutMs: 2_000,
    });
  });

  it("builds an authorization link with PKCE S256, state and the bot's scopes on the given page", () => {
    const link = app.authLink("state-42");
    const url = new URL(link.url);
    expect(url.origin + url.pathname).toBe(AUTHORIZE_URL);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      state: "state-42",
      code_challenge: createHash("sha256").update(link.codeVerifier).digest("base64url"),
      code_challenge_method: "s256",
      scope: "tweet.read tweet.write users.read media.write offline.access",
    });
    expect(link.state).toBe("state-42");
    expect(app.authLink().state).not.toBe(app.authLink().state);
    const byDefault = createXOAuth2App({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI, apiRoot: fake.baseUrl });
    expect(byDefault.authLink().url.startsWith(`${DEFAULT_X_AUTHORIZE_URL}?`)).toBe(true);
  });

  it("link → authorize → exchange, then reads, posts and reconciles as that user", async () => {
    const before = Date.now();
    const tokens = await connect();
    expect(tokens.scope).toEqual(["tweet.read", "tweet.write", "users.read", "media.write", "offline.access"]);
    expect(tokens.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 7200_000);
    expect(tokens.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 7200_000);

    const client = oauth2Client(tokens.accessToken);
    expect(await client.me()).toEqual({ id: bot.id, username: "replyguy", name: "Reply Guy" });
    const post = fake.addTweet({ authorId: alice.id, text: "@replyguy what do you think?" });
    expect((await client.mentions(bot.id, {})).posts.map((p) => p.id)).toEqual([post.id]);
    const reply = await client.postReply("I think so", post.id);
    expect(fake.tweet(reply.id)).toMatchObject({ author_id: bot.id, referenced_tweets: [{ type: "replied_to", id: post.id }] });
    expect((await findExistingReply(client, bot.id, post.id, { text: "I think so" }))?.id).toBe(reply.id);
    expect(client.rateLimits().get("POST /2/tweets")).toMatchObject({ limit: 100, remaining: 99 });
    expect(fake.requests({ endpoint: "POST /2/tweets" })[0]?.callerUserId).toBe(bot.id);
    // The media.write scope asked for lets the account attach media (X refuses an upload without it).
    const media = await client.uploadMedia({ bytes: new Uint8Array(64), mimeType: "image/png", category: "tweet_image" });
    const withMedia = await client.postReply("Here is a picture", post.id, undefined, [media.mediaId]);
    expect(fake.mediaUploads(bot.id).map((upload) => upload.mediaId)).toEqual([media.mediaId]);
    expect(withMedia.text).toMatch(/^Here is a picture https:\/\/t\.co\/\w+$/);
  });

  it("sends the token request form-encoded, with the client secret in HTTP Basic only", async () => {
    await connect();
    const [request] = fake.requests({ endpoint: "POST /2/oauth2/token" });
    expect(typeof request?.body).toBe("string");
    const form = new URLSearchParams(String(request?.body));
    expect(form.get("grant_type")).toBe("authorization_code");
    expect(form.get("client_id")).toBe(CLIENT_ID);
    expect(form.has("client_secret")).toBe(false);
  });

  it("works for a public client (no secret)", async () => {
    fake.addOAuth2Client({ clientId: "public-id", redirectUris: [REDIRECT_URI] });
    const publicApp = createXOAuth2App({ clientId: "public-id", redirectUri: REDIRECT_URI, apiRoot: fake.baseUrl });
    const tokens = await connect(publicApp);
    expect(await oauth2Client(tokens.accessToken).me()).toMatchObject({ id: bot.id });
    expect((await publicApp.refresh(tokens.refreshToken)).refreshToken).not.toBe(tokens.refreshToken);
  });

  it("refreshes with rotation: the new pair works, the old refresh token is refused as a permanent auth failure", async () => {
    const first = await connect();
    const second = await app.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await oauth2Client(second.accessToken).me()).toMatchObject({ id: bot.id });

    const error = await xError(app.refresh(first.refreshToken));
    expect(error).toMatchObject({ kind: "permanent", reason: "unauthorized", status: 400, endpoint: "POST /2/oauth2/token" });
    expect(error.message).toContain("Value passed for the token was invalid.");
    expect((await app.refresh(second.refreshToken)).accessToken).toEqual(expect.any(String));
  });

  it("refuses a used code and a wrong client secret as permanent auth failures", async () => {
    const link = app.authLink();
    const code = new URL(fake.approveAuthorizationLink(link.url, bot.id)).searchParams.get("code") ?? "";
    await app.exchangeCode(code, link.codeVerifier);
    expect(await xError(app.exchangeCode(code, link.codeVerifier))).toMatchObject({ kind: "permanent", reason: "unauthorized" });

    const wrongSecret = createXOAuth2App({ clientId: CLIENT_ID, clientSecret: "wrong-secret", redirectUri: REDIRECT_URI, apiRoot: fake.baseUrl });
    expect(await xError(connect(wrongSecret))).toMatchObject({ kind: "permanent", reason: "unauthorized", status: 401 });
  });

  it("classifies a 5xx as transient, and a lost answer as transient that may have rotated the token", async () => {
    const tokens = await connect();
    fake.enqueueFault({ path: "/2/oauth2/token" }, { kind: "status", status: 503 });
    expect(await xError(app.refresh(tokens.refreshToken))).toMatchObject({ kind: "transient", reason: "server_error", status: 503 });

    fake.enqueueFault({ path: "/2/oauth2/token" }, { kind: "commitThenDrop" });
    expect(await xError(app.refresh(tokens.refreshToken))).toMatchObject({ kind: "transient", reason: "network", mayHaveSucceeded: true });
    expect(await xError(app.refresh(tokens.refreshToken))).toMatchObject({ kind: "permanent", reason: "unauthorized" });
  });

  it("gives up on a token request when the caller aborts, flagging that X may have rotated the token", async () => {
    const tokens = await connect();
    fake.enqueueFault({ path: "/2/oauth2/token" }, { kind: "commitThenDelay", ms: 1_000 });
    const refresh = app.refresh(tokens.refreshToken, AbortSignal.timeout(50));
    expect(await xError(refresh)).toMatchObject({ kind: "transient", reason: "aborted", mayHaveSucceeded: true });
    expect(fake.liveOAuth2RefreshTokens(bot.id)).toBe(1);
    expect(await xError(app.refresh(tokens.refreshToken))).toMatchObject({ reason: "unauthorized" });
    expect(await xError(app.refresh("x", AbortSignal.abort()))).toMatchObject({ reason: "aborted", mayHaveSucceeded: false });
  });

  it("fails with an auth error when X grants no refresh token", async () => {
    const link = app.authLink();
    const url = new URL(link.url);
    url.searchParams.set("scope", "tweet.read users.read");
    const code = new URL(fake.approveAuthorizationLink(url.toString(), bot.id)).searchParams.get("code") ?? "";
    const error = await xError(app.exchangeCode(code, link.codeVerifier));
    expect(error).toMatchObject({ kind: "permanent", reason: "unauthorized" });
    expect(error.message).toMatch(/offline\.access/);
  });

  it("asks the token provider before every request, so a refreshed token is used without a new client", async () => {
    fake.setOAuth2AccessTokenTtl(0.1);
    let tokens = await connect();
    let asked = 0;
    const client = oauth2Client(() => {
      asked += 1;
      return tokens.accessToken;
    });
    expect(await client.me()).toMatchObject({ id: bot.id });
    await sleep(150);
    expect(await xError(client.me())).toMatchObject({ kind: "permanent", reason: "unauthorized", status: 401 });
    fake.setOAuth2AccessTokenTtl(7200);
    tokens = await app.refresh(tokens.refreshToken);
    expect(await client.me()).toMatchObject({ id: bot.id });
    expect(asked).toBe(3);
  });

  it("passes the provider's XApiError through and sends nothing", async () => {
    const refused = await xError(app.refresh("not-a-refresh-token"));
    const client = oauth2Client(() => {
      throw refused;
    });
    const before = fake.requests().length;
    expect(await xError(client.postReply("hello", "1"))).toBe(refused);
    expect(fake.requests()).toHaveLength(before);
  });

  it("answers 401 once the user revokes the app, for the access and the refresh token", async () => {
    const tokens = await connect();
    fake.setUserAccess(bot.id, "revoked");
    expect(await xError(oauth2Client(tokens.accessToken).me())).toMatchObject({ kind: "permanent", reason: "unauthorized" });
    expect(await xError(app.refresh(tokens.refreshToken))).toMatchObject({ kind: "permanent", reason: "unauthorized" });
  });

  it("revokes a token", async () => {
    const tokens = await connect();
    await app.revoke(tokens.refreshToken, "refresh_token");
    expect(await xError(app.refresh(tokens.refreshToken))).toMatchObject({ reason: "unauthorized" });
  });

  it("never shows the client secret or a token in an error message", async () => {
    const tokens = await connect();
    const echo = `refresh ${tokens.refreshToken} client ${CLIENT_SECRET} access ${tokens.accessToken}`;
    fake.enqueueFault({ path: "/2/oauth2/token" }, { kind: "status", status: 400, body: { error: "invalid_request", error_description: echo } });
    const refreshError = await xError(app.refresh(tokens.refreshToken));
    fake.enqueueFault({ path: "/2/users/me" }, { kind: "status", status: 401, body: { title: "Unauthorized", detail: `token ${tokens.accessToken}` } });
    const meError = await xError(oauth2Client(() => tokens.accessToken).me());
    const link = app.authLink();
    fake.enqueueFault({ path: "/2/oauth2/token" }, { kind: "status", status: 400, body: { error: "invalid_request", error_description: `${link.codeVerifier} code-XYZ` } });
    const exchangeError = await xError(app.exchangeCode("code-XYZ", link.codeVerifier));

    expect(refreshError.message).toContain("[redacted]");
    expect(meError.message).toContain("[redacted]");
    for (const error of [refreshError, exchangeError]) {
      for (const secret of [CLIENT_SECRET, tokens.refreshToken, link.codeVerifier, "code-XYZ"]) expect(error.message).not.toContain(secret);
    }
    expect(meError.message).not.toContain(tokens.accessToken);
  });
});
