import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeX } from "../support/fake-x/index.js";
import type { FakeX, FakeXUser } from "../support/fake-x/index.js";

const CLIENT_ID = "app-client-id";
const CLIENT_SECRET = "app-client-secret";
const PUBLIC_CLIENT_ID = "public-client-id";
const REDIRECT_URI = "https://bot.example/x/callback";
const VERIFIER = "v".repeat(43) + "-verifier";
const CHALLENGE = createHash("sha256").update(VERIFIER).digest("base64url");
const SCOPE = "tweet.read tweet.write users.read offline.access";
const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface TokenAnswer {
  token_type: string;
  expires_in: number;
  access_token: string;
  refresh_token: string;
  scope: string;
}

describe("fake X OAuth 2.0 token endpoint", () => {
  let fake: FakeX;
  let bot: FakeXUser;

  async function post(path: string, form: Record<string, string>, headers: Record<string, string> = { authorization: BASIC }): Promise<Answer> {
    const res = await fetch(`${fake.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function authorize(scope = SCOPE): string {
    return fake.authorize(bot.id, {
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      codeChallenge: CHALLENGE,
      codeChallengeMethod: "S256",
      scope,
    });
  }

  function exchange(code: string, verifier = VERIFIER): Promise<Answer> {
    return post("/2/oauth2/token", { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
  }

  async function tokens(): Promise<TokenAnswer> {
    const answer = await exchange(authorize());
    expect(answer.status).toBe(200);
    return answer.body as unknown as TokenAnswer;
  }

  async function meAs(accessToken: string): Promise<number> {
    const res = await fetch(`${fake.baseUrl}/2/users/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    return res.status;
  }

  beforeAll(async () => {
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    bot = fake.addUser({ username: "replyguy" });
    fake.addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] });
    fake.addOAuth2Client({ clientId: PUBLIC_CLIENT_ID, redirectUris: [REDIRECT_URI] });
  });

  it("exchanges a code once for a bearer pair that authenticates as the user", async () => {
    const code = authorize();
    const first = await exchange(code);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "bearer", expires_in: 7200, scope: SCOPE });
    const pair = first.body as unknown as TokenAnswer;
    expect(pair.access_token).toEqual(expect.any(String));
    expect(pair.refresh_token).toEqual(expect.any(String));

    const res = await fetch(`${fake.baseUrl}/2/users/me`, { headers: { authorization: `Bearer ${pair.access_token}` } });
    expect(await res.json()).toEqual({ data: { id: bot.id, name: "replyguy", username: "replyguy" } });
    expect(fake.requests({ endpoint: "GET /2/users/me" })[0]?.callerUserId).toBe(bot.id);

    const again = await exchange(code);
    expect(again).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "Value passed for the authorization code was invalid." },
    });
  });

  it("checks the PKCE verifier and the redirect URI against the authorization, and consumes the code either way", async () => {
    const code = authorize();
    const wrong = await exchange(code, "another-verifier-of-the-right-length-0123456789");
    expect(wrong.status).toBe(400);
    expect(wrong.body.error_description).toMatch(/code verifier/);
    expect((await exchange(code)).status).toBe(400);

    const other = await post("/2/oauth2/token", {
      grant_type: "authorization_code",
      code: authorize(),
      redirect_uri: "https://elsewhere.example/cb",
      code_verifier: VERIFIER,
    });
    expect(other.status).toBe(400);
    expect(other.body.error_description).toMatch(/redirect uri/);
  });

  it("expires an unused code", async () => {
    await fake.close();
    fake = await startFakeX({ oauth2: { authorizationCodeTtlSeconds: 0.05 } });
    bot = fake.addUser({ username: "replyguy" });
    fake.addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] });
    const code = authorize();
    await sleep(80);
    expect((await exchange(code)).status).toBe(400);
  });

  it("authenticates a confidential client by HTTP Basic only, and a public one by client_id in the body", async () => {
    const form = { grant_type: "authorization_code", code: authorize(), redirect_uri: REDIRECT_URI, code_verifier: VERIFIER, client_id: CLIENT_ID };
    expect(await post("/2/oauth2/token", form, {})).toEqual({
      status: 401,
      body: { error: "unauthorized_client", error_description: "Missing valid authorization header" },
    });
    const badSecret = `Basic ${Buffer.from(`${CLIENT_ID}:wrong`).toString("base64")}`;
    expect((await post("/2/oauth2/token", { ...form, code: authorize() }, { authorization: badSecret })).status).toBe(401);

    const publicCode = fake.authorize(bot.id, {
      clientId: PUBLIC_CLIENT_ID,
      redirectUri: REDIRECT_URI,
      codeChallenge: CHALLENGE,
      codeChallengeMethod: "s256",
      scope: SCOPE,
    });
    const asPublic = await post("/2/oauth2/token", { ...form, code: publicCode, client_id: PUBLIC_CLIENT_ID }, {});
    expect(asPublic.status).toBe(200);
  });

  it("answers a JSON body as a request without parameters (the endpoint is form-encoded)", async () => {
    const res = await fetch(`${fake.baseUrl}/2/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: BASIC },
      body: JSON.stringify({ grant_type: "authorization_code", code: authorize(), redirect_uri: REDIRECT_URI, code_verifier: VERIFIER }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });

  it("rotates refresh tokens: each refresh kills the one it used", async () => {
    const first = await tokens();
    const second = await post("/2/oauth2/token", { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(second.status).toBe(200);
    const pair = second.body as unknown as TokenAnswer;
    expect(pair.refresh_token).not.toBe(first.refresh_token);
    expect(pair.access_token).not.toBe(first.access_token);
    expect(fake.liveOAuth2RefreshTokens(bot.id)).toBe(1);

    const reuse = await post("/2/oauth2/token", { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(reuse).toEqual({ status: 400, body: { error: "invalid_request", error_description: "Value passed for the token was invalid." } });
    expect(await meAs(pair.access_token)).toBe(200);
    const third = await post("/2/oauth2/token", { grant_type: "refresh_token", refresh_token: pair.refresh_token });
    expect(third.status).toBe(200);
  });

  it("hands out no refresh token without offline.access", async () => {
    const answer = await exchange(authorize("tweet.read users.read"));
    expect(answer.status).toBe(200);
    expect(answer.body.refresh_token).toBeUndefined();
  });

  it("answers 401 to an expired access token, which a refresh replaces", async () => {
    fake.setOAuth2AccessTokenTtl(0.1);
    const pair = await tokens();
    expect(await meAs(pair.access_token)).toBe(200);
    await sleep(150);
    expect(await meAs(pair.access_token)).toBe(401);
    fake.setOAuth2AccessTokenTtl(7200);
    const refreshed = await post("/2/oauth2/token", { grant_type: "refresh_token", refresh_token: pair.refresh_token });
    expect(refreshed.body.expires_in).toBe(7200);
    expect(await meAs((refreshed.body as unknown as TokenAnswer).access_token)).toBe(200);
  });

  it("kills every OAuth 2.0 token of a revoked user for good", async () => {
    const pair = await tokens();
    fake.setUserAccess(bot.id, "revoked");
    fake.setUserAccess(bot.id, "ok");
    expect(await meAs(pair.access_token)).toBe(401);
    expect((await post("/2/oauth2/token", { grant_type: "refresh_token", refresh_token: pair.refresh_token })).status).toBe(400);
  });

  it("revokes one token through POST /2/oauth2/revoke", async () => {
    const pair = await tokens();
    const answer = await post("/2/oauth2/revoke", { token: pair.access_token, token_type_hint: "access_token" });
    expect(answer).toEqual({ status: 200, body: { revoked: true } });
    expect(await meAs(pair.access_token)).toBe(401);
  });

  it("applies queued faults to the token endpoint and records its requests", async () => {
    const code = authorize();
    fake.enqueueFault({ method: "POST", path: "/2/oauth2/token" }, { kind: "status", status: 503 });
    expect((await exchange(code)).status).toBe(503);
    expect((await exchange(code)).status).toBe(200);
    const recorded = fake.requests({ endpoint: "POST /2/oauth2/token" });
    expect(recorded.map((r) => [r.fault, r.status])).toEqual([
      ["status", 503],
      [null, 200],
    ]);
  });

  it("turns an authorization link into the callback x.com redirects to", () => {
    const link = new URL("https://x.com/i/oauth2/authorize");
    for (const [k, v] of Object.entries({
      response_type: "code",
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      state: "state-123",
      code_challenge: CHALLENGE,
      code_challenge_method: "s256",
      scope: SCOPE,
    })) {
      link.searchParams.set(k, v);
    }
    const callback = new URL(fake.approveAuthorizationLink(link.toString(), "replyguy"));
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get("state")).toBe("state-123");
    expect(callback.searchParams.get("code")).toEqual(expect.any(String));
    link.searchParams.set("redirect_uri", "https://evil.example/cb");
    expect(() => fake.approveAuthorizationLink(link.toString(), "replyguy")).toThrow(/not registered/);
  });
});
