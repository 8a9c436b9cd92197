// OAuth 2.0 user context: the "Authorize app" click, POST /2/oauth2/token (authorization code + PKCE, refresh with
// rotation), POST /2/oauth2/revoke, and which user a Bearer access token stands for.
import { createHash, randomBytes } from "node:crypto";
import type { FakeResponse } from "./responses.js";
import type { FakeXAuthorizeInput, FakeXOAuth2Client, FakeXOAuth2Options } from "./types.js";

/** X's default access-token lifetime (2 h). */
export const FAKE_X_ACCESS_TOKEN_TTL_SECONDS = 7200;
/** X's authorization codes are valid for 30 s. */
export const FAKE_X_AUTHORIZATION_CODE_TTL_SECONDS = 30;
const KNOWN_SCOPES = new Set([
  "tweet.read",
  "tweet.write",
  "tweet.moderate.write",
  "users.read",
  "follows.read",
  "follows.write",
  "offline.access",
  "like.read",
  "like.write",
  "mute.read",
  "mute.write",
  "block.read",
  "block.write",
  "bookmark.read",
  "bookmark.write",
  "list.read",
  "list.write",
  "space.read",
  "dm.read",
  "dm.write",
  "media.write",
]);
const FORM_TYPE = "application/x-www-form-urlencoded";

interface PendingCode {
  clientId: string;
  userId: string;
  redirectUri: string;
  challenge: string;
  method: "S256" | "plain";
  scope: string;
  expiresAt: number;
}

interface Grant {
  clientId: string;
  userId: string;
  scope: string;
}

interface AccessGrant extends Grant {
  expiresAt: number;
}

/** What the token endpoint needs of the HTTP request. */
export interface TokenRequest {
  authorization: string | undefined;
  contentType: string | undefined;
  rawBody: string;
}

/** Whom a Bearer token authenticates: a user id, `"expired"`, or undefined when it is no OAuth 2.0 token. */
export type BearerLookup = { userId: string } | "expired" | undefined;

function randomToken(): string {
  return randomBytes(36).toString("base64url");
}

function oauthError(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}

const invalidCode = (): FakeResponse => oauthError(400, "invalid_request", "Value passed for the authorization code was invalid.");
const invalidToken = (): FakeResponse => oauthError(400, "invalid_request", "Value passed for the token was invalid.");
const badClient = (): FakeResponse => oauthError(401, "unauthorized_client", "Missing valid authorization header");

/** S256: base64url(sha256(verifier)) without padding, as RFC 7636 defines it. */
function challengeOf(verifier: string, method: "S256" | "plain"): string {
  return method === "plain" ? verifier : createHash("sha256").update(verifier).digest("base64url");
}

/** Registered apps, pending codes and live tokens of the fake's OAuth 2.0 server. */
export class FakeOAuth2 {
  private readonly clients = new Map<string, FakeXOAuth2Client>();
  private readonly codes = new Map<string, PendingCode>();
  private readonly accessTokens = new Map<string, AccessGrant>();
  private readonly refreshTokens = new Map<string, Grant>();
  private accessTtlSeconds: number;

  constructor(private readonly options: FakeXOAuth2Options = {}) {
    this.accessTtlSeconds = options.accessTokenTtlSeconds ?? FAKE_X_ACCESS_TOKEN_TTL_SECONDS;
  }

  addClient(client: FakeXOAuth2Client): void {
    if (this.clients.has(client.clientId)) throw new Error(`fake-x: OAuth 2.0 client ${client.clientId} already exists`);
    this.clients.set(client.clientId, { ...client, redirectUris: [...client.redirectUris] });
  }

  setAccessTokenTtl(seconds: number): void {
    if (!(seconds > 0)) throw new Error("fake-x: the access-token lifetime must be positive");
    this.accessTtlSeconds = seconds;
  }

  /** The user clicks "Authorize app": checks what x.com checks and returns the one-time code. */
  authorize(userId: string, input: FakeXAuthorizeInput): string {
    const client = this.clients.get(input.clientId);
    if (!client) throw new Error(`fake-x: authorize: unknown client_id ${input.clientId}`);
    if (!client.redirectUris.includes(input.redirectUri)) {
      throw new Error(`fake-x: authorize: redirect_uri ${input.redirectUri} is not registered for this app`);
    }
    const scopes = input.scope.split(" ").filter(Boolean);
    if (!scopes.length || scopes.some((s) => !KNOWN_SCOPES.has(s))) throw new Error(`fake-x: authorize: bad scope "${input.scope}"`);
    const method = input.codeChallengeMethod.toLowerCase();
    if (method !== "s256" && method !== "plain") {
      throw new Error(`fake-x: authorize: code_challenge_method ${input.codeChallengeMethod} is not supported`);
    }
    if (!input.codeChallenge) throw new Error("fake-x: authorize: code_challenge is required");
    const code = randomToken();
    this.codes.set(code, {
      clientId: client.clientId,
      userId,
      redirectUri: input.redirectUri,
      challenge: input.codeChallenge,
      method: method === "plain" ? "plain" : "S256",
      scope: scopes.join(" "),
      expiresAt: Date.now() + (this.options.authorizationCodeTtlSeconds ?? FAKE_X_AUTHORIZATION_CODE_TTL_SECONDS) * 1000,
    });
    return code;
  }

  /** The user opens an authorization link and clicks "Authorize app": the callback URL x.com redirects to. */
  approveLink(userId: string, link: string): string {
    const query = new URL(link).searchParams;
    const need = (name: string): string => {
      const value = query.get(name);
      if (value === null) throw new Error(`fake-x: the authorization link has no ${name}`);
      return value;
    };
    if (need("response_type") !== "code") throw new Error("fake-x: response_type must be code");
    const redirectUri = need("redirect_uri");
    const code = this.authorize(userId, {
      clientId: need("client_id"),
      redirectUri,
      codeChallenge: need("code_challenge"),
      codeChallengeMethod: need("code_challenge_method"),
      scope: need("scope"),
    });
    const callback = new URL(redirectUri);
    callback.searchParams.set("state", need("state"));
    callback.searchParams.set("code", code);
    return callback.toString();
  }

  /** Whom a Bearer token stands for. */
  bearer(token: string): BearerLookup {
    const grant = this.accessTokens.get(token);
    if (!grant) return undefined;
    return Date.now() >= grant.expiresAt ? "expired" : { userId: grant.userId };
  }

  /** Whether `token` is an OAuth 2.0 access token granted without `scope` (OAuth 1.0a tokens carry no scopes). */
  lacksScope(token: string | null, scope: string): boolean {
    const grant = token === null ? undefined : this.accessTokens.get(token);
    return grant !== undefined && !grant.scope.split(" ").includes(scope);
  }

  /** The user revoked the app (or was revoked): every token of theirs dies for good. */
  revokeUser(userId: string): void {
    for (const tokens of [this.accessTokens, this.refreshTokens] as Map<string, Grant>[]) {
      for (const [token, grant] of tokens) if (grant.userId === userId) tokens.delete(token);
    }
    for (const [code, pending] of this.codes) if (pending.userId === userId) this.codes.delete(code);
  }

  /** How many refresh tokens of `userId` still work (rotation leaves exactly one per grant). */
  liveRefreshTokens(userId: string): number {
    return [...this.refreshTokens.values()].filter((g) => g.userId === userId).length;
  }

  /** POST /2/oauth2/token. */
  token(request: TokenRequest): FakeResponse {
    const form = this.parseForm(request);
    if (!(form instanceof URLSearchParams)) return form;
    const client = this.authenticate(request.authorization, form);
    if (!client) return badClient();
    switch (form.get("grant_type")) {
      case "authorization_code":
        return this.exchangeCode(client, form);
      case "refresh_token":
        return this.refresh(client, form);
      case null:
        return oauthError(400, "invalid_request", "Missing required parameter [grant_type].");
      default:
        return oauthError(400, "unsupported_grant_type", "Value passed for the grant type was invalid.");
    }
  }

  /** POST /2/oauth2/revoke: kills one access or refresh token of the calling app. */
  revoke(request: TokenRequest): FakeResponse {
    const form = this.parseForm(request);
    if (!(form instanceof URLSearchParams)) return form;
    const client = this.authenticate(request.authorization, form);
    if (!client) return badClient();
    const token = form.get("token") ?? "";
    for (const tokens of [this.accessTokens, this.refreshTokens] as Map<string, Grant>[]) {
      if (tokens.get(token)?.clientId === client.clientId) tokens.delete(token);
    }
    return { status: 200, body: { revoked: true } };
  }

  clear(): void {
    this.clients.clear();
    this.codes.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.accessTtlSeconds = this.options.accessTokenTtlSeconds ?? FAKE_X_ACCESS_TOKEN_TTL_SECONDS;
  }

  /** The form body; X's token endpoint speaks `application/x-www-form-urlencoded` only (RFC 6749). */
  private parseForm(request: TokenRequest): URLSearchParams | FakeResponse {
    const type = (request.contentType ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== FORM_TYPE) return oauthError(400, "invalid_request", "Missing required parameter [grant_type].");
    return new URLSearchParams(request.rawBody);
  }

  /** Confidential apps authenticate with HTTP Basic client_id:client_secret; public ones name client_id in the body. */
  private authenticate(authorization: string | undefined, form: URLSearchParams): FakeXOAuth2Client | undefined {
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
    if (basic?.[1]) {
      const [rawId = "", rawSecret = ""] = Buffer.from(basic[1], "base64").toString("utf8").split(":", 2);
      const client = this.clients.get(decodeURIComponent(rawId));
      const bodyId = form.get("client_id");
      if (!client || client.clientSecret !== decodeURIComponent(rawSecret)) return undefined;
      return bodyId === null || bodyId === client.clientId ? client : undefined;
    }
    const client = this.clients.get(form.get("client_id") ?? "");
    return client && client.clientSecret === undefined ? client : undefined;
  }

  private exchangeCode(client: FakeXOAuth2Client, form: URLSearchParams): FakeResponse {
    const code = form.get("code") ?? "";
    const pending = this.codes.get(code);
    // A code is consumed by its first presentation, whatever the outcome.
    this.codes.delete(code);
    if (!pending || pending.clientId !== client.clientId || Date.now() >= pending.expiresAt) return invalidCode();
    if (form.get("redirect_uri") !== pending.redirectUri) {
      return oauthError(400, "invalid_request", "Value passed for the redirect uri did not match the uri of the authorization code.");
    }
    const verifier = form.get("code_verifier");
    if (verifier === null || challengeOf(verifier, pending.method) !== pending.challenge) {
      return oauthError(400, "invalid_request", "Value passed for the code verifier did not match the code challenge.");
    }
    return this.issue({ clientId: client.clientId, userId: pending.userId, scope: pending.scope });
  }

  private refresh(client: FakeXOAuth2Client, form: URLSearchParams): FakeResponse {
    const refreshToken = form.get("refresh_token") ?? "";
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant || grant.clientId !== client.clientId) return invalidToken();
    // Rotation: the old refresh token dies the moment a new one is issued.
    this.refreshTokens.delete(refreshToken);
    return this.issue(grant);
  }

  private issue(grant: Grant): FakeResponse {
    const accessToken = randomToken();
    this.accessTokens.set(accessToken, { ...grant, expiresAt: Date.now() + this.accessTtlSeconds * 1000 });
    const body: Record<string, string | number> = {
      token_type: "bearer",
      expires_in: Math.ceil(this.accessTtlSeconds),
      access_token: accessToken,
      scope: grant.scope,
    };
    if (grant.scope.split(" ").includes("offline.access")) {
      const refreshToken = randomToken();
      this.refreshTokens.set(refreshToken, { ...grant });
      body.refresh_token = refreshToken;
    }
    return { status: 200, body };
  }
}
