import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import { ApiResponseError, TwitterApi } from "twitter-api-v2";
import type { IParsedOAuth2TokenResult, ITwitterApiClientPlugin } from "twitter-api-v2";
import { raceAbort } from "./abortable.js";
import { createXApiRootPlugin, normalizeXApiRoot } from "./api-root-plugin.js";
import { XApiError, classifyXError } from "./errors.js";

/** Scopes the bot asks for: read and post as the user, upload media for its replies, and a refresh token (`offline.access`). */
export const X_OAUTH2_SCOPES = ["tweet.read", "tweet.write", "users.read", "media.write", "offline.access"] as const;
/** X's "Authorize app" page. */
export const DEFAULT_X_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize";
/** Endpoint key of the token endpoint in errors (as the X client names its endpoints). */
export const X_OAUTH2_TOKEN_ENDPOINT = "POST /2/oauth2/token";
/** Endpoint key of the revoke endpoint in errors. */
export const X_OAUTH2_REVOKE_ENDPOINT = "POST /2/oauth2/revoke";
const DEFAULT_TOKEN_TIMEOUT_MS = 15_000;
const OAUTH2_PATH_RE = /\/2\/oauth2\/(?:token|revoke)$/;

/** The X app's OAuth 2.0 client, as registered in the developer portal. */
export interface XOAuth2AppOptions {
  clientId: string;
  /** Set for a confidential client (it authenticates with HTTP Basic); omit for a public one. */
  clientSecret?: string;
  /** The callback URL registered for the app; the authorization link and the code exchange both carry it. */
  redirectUri: string;
  /** API root without "/2", e.g. "https://api.x.com" or "http://127.0.0.1:PORT". */
  apiRoot: string;
  /** The "Authorize app" page (default {@link DEFAULT_X_AUTHORIZE_URL}); the link keeps this origin and path. */
  authorizeUrl?: string;
  /** Socket-idle timeout of each token request (default 15 s). */
  requestTimeoutMs?: number;
}

/** A link to send the user to, and what the callback must be checked and completed with. */
export interface XOAuth2AuthLink {
  url: string;
  /** Echoed back on the callback: compare before exchanging the code. */
  state: string;
  /** PKCE secret: keep it server-side (it is as sensitive as the code) until the callback. */
  codeVerifier: string;
}

/** A user's token pair. X rotates refresh tokens: after a refresh only the new `refreshToken` works. */
export interface XOAuth2Tokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires: the moment the request was sent plus X's `expires_in`. */
  expiresAt: Date;
  scope: string[];
}

/** OAuth 2.0 user context for one X app: link, code exchange, refresh, revoke. Every failure is an `XApiError`. */
export interface XOAuth2App {
  /** A fresh authorization link (PKCE S256, random state unless given, scopes {@link X_OAUTH2_SCOPES}). */
  authLink(state?: string): XOAuth2AuthLink;
  /** Trade the callback's `code` (with the link's verifier) for the user's tokens. */
  exchangeCode(code: string, codeVerifier: string, signal?: AbortSignal): Promise<XOAuth2Tokens>;
  /**
   * Trade a refresh token for a new pair. X kills the old refresh token the moment it answers, so persist the new
   * pair before using it. A rejected token fails `permanent`/`unauthorized` (the user must connect again); a
   * 5xx/network failure is `transient` with `mayHaveSucceeded` (X may already have rotated the token).
   */
  refresh(refreshToken: string, signal?: AbortSignal): Promise<XOAuth2Tokens>;
  /** Revoke an access or refresh token (e.g. when the account is removed). */
  revoke(token: string, kind: "access_token" | "refresh_token", signal?: AbortSignal): Promise<void>;
}

/** Create the OAuth 2.0 helper of an X app, on twitter-api-v2's own OAuth 2.0 methods. */
export function createXOAuth2App(options: XOAuth2AppOptions): XOAuth2App {
  const apiRoot = normalizeXApiRoot(options.apiRoot);
  const authorizeUrl = new URL(options.authorizeUrl ?? DEFAULT_X_AUTHORIZE_URL);
  const currentSignal = new AsyncLocalStorage<AbortSignal | undefined>();
  const app = new TwitterApi(
    { clientId: options.clientId, clientSecret: options.clientSecret },
    {
      httpAgent: new URL(apiRoot).protocol === "http:" ? new http.Agent({ keepAlive: false }) : undefined,
      plugins: [
        tokenRequestPlugin(options.clientSecret !== undefined),
        createXApiRootPlugin(apiRoot, {
          timeoutMs: options.requestTimeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS,
          currentSignal: () => currentSignal.getStore(),
        }),
      ],
    },
  );
  const appSecrets = options.clientSecret === undefined ? [] : [options.clientSecret];

  async function call<T>(endpoint: string, secrets: string[], signal: AbortSignal | undefined, send: () => Promise<T>): Promise<T> {
    const context = { method: "POST", endpoint, secrets: [...appSecrets, ...secrets] };
    if (signal?.aborted) throw classifyXError(signal.reason, { ...context, aborted: true, notSent: true });
    try {
      return await raceAbort(currentSignal.run(signal, send), signal);
    } catch (error) {
      throw refusedGrant(error, classifyXError(error, { ...context, aborted: signal?.aborted === true }));
    }
  }

  async function tokens(secrets: string[], signal: AbortSignal | undefined, send: () => Promise<IParsedOAuth2TokenResult>): Promise<XOAuth2Tokens> {
    const sentAt = Date.now();
    const result = await call(X_OAUTH2_TOKEN_ENDPOINT, secrets, signal, send);
    if (result.refreshToken === undefined) {
      throw new XApiError({
        message: "X POST /2/oauth2/token granted no refresh token (the offline.access scope was not granted)",
        kind: "permanent",
        reason: "unauthorized",
        status: 200,
        resetAt: undefined,
        mayHaveSucceeded: false,
        method: "POST",
        endpoint: X_OAUTH2_TOKEN_ENDPOINT,
      });
    }
    return {
      accessToken: result.accessToken,
      refreshToken: result.refreshToken,
      expiresAt: new Date(sentAt + result.expiresIn * 1000),
      scope: [...result.scope],
    };
  }

  return {
    authLink(state) {
      const link = app.generateOAuth2AuthLink(options.redirectUri, { scope: [...X_OAUTH2_SCOPES], state });
      const url = new URL(authorizeUrl.origin + authorizeUrl.pathname);
      url.search = new URL(link.url).search;
      return { url: url.toString(), state: link.state, codeVerifier: link.codeVerifier };
    },

    exchangeCode(code, codeVerifier, signal) {
      return tokens([code, codeVerifier], signal, () =>
        app.loginWithOAuth2({ code, codeVerifier, redirectUri: options.redirectUri }),
      );
    },

    refresh(refreshToken, signal) {
      return tokens([refreshToken], signal, () => app.refreshOAuth2Token(refreshToken));
    },

    async revoke(token, kind, signal) {
      await call(X_OAUTH2_REVOKE_ENDPOINT, [token], signal, () => app.revokeOAuth2Token(token, kind));
    },
  };
}

/**
 * twitter-api-v2 1.29.1 sends OAuth 2.0 token requests as JSON (its form-body check reads `url.password`), and a
 * confidential client's secret both in HTTP Basic and in the body. X's token endpoint is form-encoded (RFC 6749),
 * and a client uses one authentication method per request (§2.3): force the form body, keep the secret in Basic only.
 */
function tokenRequestPlugin(confidential: boolean): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      if (!OAUTH2_PATH_RE.test(new URL(params.url).pathname)) return;
      params.forceBodyMode = "url";
      if (confidential && params.body !== undefined && !Buffer.isBuffer(params.body)) delete params.body.client_secret;
    },
  };
}

/** X refused the grant or the app (400/401 with an OAuth `error`): permanent, the user must connect again. */
function refusedGrant(error: unknown, classified: XApiError): XApiError {
  if (!(error instanceof ApiResponseError) || (error.code !== 400 && error.code !== 401)) return classified;
  const data: unknown = error.data;
  const oauthError = typeof data === "object" && data !== null ? (data as Record<string, unknown>).error : undefined;
  if (typeof oauthError !== "string") return classified;
  return new XApiError({
    message: classified.message,
    kind: "permanent",
    reason: "unauthorized",
    status: classified.status,
    resetAt: undefined,
    mayHaveSucceeded: false,
    method: classified.method,
    endpoint: classified.endpoint,
  });
}
