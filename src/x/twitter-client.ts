import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import { ApiResponseError, TwitterApi } from "twitter-api-v2";
import type { IClientSettings, TwitterApiv2, TwitterResponse } from "twitter-api-v2";
import { raceAbort } from "./abortable.js";
import { createXApiRootPlugin, normalizeXApiRoot } from "./api-root-plugin.js";
import { XApiError, XUnexpectedResponseError, classifyXError } from "./errors.js";
import {
  POST_EXPANSIONS,
  POST_FIELDS,
  USER_FIELDS,
  parseCreatedPost,
  parsePostList,
  parsePostVersion,
  parseTimelinePage,
  parseUserResponse,
} from "./parse.js";
import { uploadInSteps } from "./media-upload.js";
import { RateLimitStore } from "./rate-limit-store.js";
import type { XAccountClient, XMediaFile, XPage, XPost, XTimelineOptions, XUser, XUserPostsOptions } from "./types.js";

/** OAuth 1.0a user-context credentials of the replying account. */
export interface XCredentials {
  appKey: string;
  appSecret: string;
  accessToken: string;
  accessSecret: string;
}

/**
 * The current OAuth 2.0 access token of the account, asked for before every request. This is where the owner of
 * the token refreshes it when it is about to expire (under its row lock); a new value is used at once, the
 * {@link XAccountClient} need not be rebuilt. Throwing an `XApiError` (e.g. a refused refresh) fails the call with it.
 */
export type XAccessTokenProvider = (signal: AbortSignal | undefined) => string | Promise<string>;

/** OAuth 2.0 user-context credentials: a Bearer access token, fixed or provided per request. */
export interface XOAuth2UserCredentials {
  kind: "oauth2";
  accessToken: string | XAccessTokenProvider;
}

/** Either auth kind of an account: OAuth 1.0a (no `kind`) or OAuth 2.0 user context. */
export type XAccountCredentials = XCredentials | XOAuth2UserCredentials;

/** Options of {@link createXAccountClient}. */
export interface XAccountClientOptions {
  /** API root without "/2", e.g. "https://api.x.com" or "http://127.0.0.1:PORT". */
  apiRoot: string;
  credentials: XAccountCredentials;
  /** Socket-idle timeout of each HTTP request (default {@link DEFAULT_X_REQUEST_TIMEOUT_MS}). */
  requestTimeoutMs?: number;
  /** How long X may process an uploaded medium (default {@link DEFAULT_MEDIA_PROCESSING_TIMEOUT_MS}). */
  mediaProcessingTimeoutMs?: number;
  /** Bytes per media APPEND (default 4 MB, `MEDIA_CHUNK_BYTES`); smaller in tests to see a chunked upload. */
  mediaChunkBytes?: number;
}

/** Default per-request timeout. */
export const DEFAULT_X_REQUEST_TIMEOUT_MS = 15_000;
/** Default page size of timeline reads. */
export const DEFAULT_X_PAGE_SIZE = 20;
/** Pages followed by default when `sinceId` is set (catch up after a burst). */
export const DEFAULT_X_SINCE_PAGES = 5;
/** Most ids one `GET /2/tweets` accepts. */
const LOOKUP_BATCH = 100;
const USERNAME_RE = /^[A-Za-z0-9_]{1,15}$/;
const NUMERIC_ID_RE = /^\d{1,19}$/;

type Method = "GET" | "POST";
/** Query string parameters (undefined ones are dropped by twitter-api-v2). */
type TRequestQuery = Record<string, string | number | undefined>;

interface TimelineSpec {
  endpointKey: string;
  path: string;
  params?: Record<string, string>;
  query: TRequestQuery;
  /** Name of the page-token query parameter (timelines: pagination_token; search: next_token). */
  tokenParam: "pagination_token" | "next_token";
  bounds: { min: number; max: number };
}

/** The twitter-api-v2 client for the next request, and the secrets its errors must not show. */
type ApiSource = (signal: AbortSignal | undefined) => Promise<{ api: TwitterApiv2; secrets: readonly string[] }>;

function isOAuth2(credentials: XAccountCredentials): credentials is XOAuth2UserCredentials {
  return "kind" in credentials && credentials.kind === "oauth2";
}

function apiSource(credentials: XAccountCredentials, settings: Partial<IClientSettings>): ApiSource {
  if (!isOAuth2(credentials)) {
    const api = new TwitterApi({ ...credentials }, settings).v2;
    const secrets = [credentials.appSecret, credentials.accessToken, credentials.accessSecret, credentials.appKey];
    return () => Promise.resolve({ api, secrets });
  }
  const provide = credentials.accessToken;
  let current: { token: string; api: TwitterApiv2 } | undefined;
  return async (signal) => {
    const token = typeof provide === "string" ? provide : await provide(signal);
    // One twitter-api-v2 client per token value: a refreshed token gets its own, this account client stays.
    if (current?.token !== token) current = { token, api: new TwitterApi(token, settings).v2 };
    return { api: current.api, secrets: [token] };
  };
}

/**
 * Create the X port for one account on twitter-api-v2, in OAuth 1.0a or OAuth 2.0 user context (same timeouts,
 * API root and error mapping). Every failure is an `XApiError`.
 */
export function createXAccountClient(options: XAccountClientOptions): XAccountClient {
  const apiRoot = normalizeXApiRoot(options.apiRoot);
  const currentSignal = new AsyncLocalStorage<AbortSignal | undefined>();
  const resolveApi = apiSource(options.credentials, {
    // twitter-api-v2 always calls https.request(); an http.Agent makes it speak plain HTTP to an http: root.
    httpAgent: new URL(apiRoot).protocol === "http:" ? new http.Agent({ keepAlive: false }) : undefined,
    plugins: [
      createXApiRootPlugin(apiRoot, {
        timeoutMs: options.requestTimeoutMs ?? DEFAULT_X_REQUEST_TIMEOUT_MS,
        currentSignal: () => currentSignal.getStore(),
      }),
    ],
  });
  const limits = new RateLimitStore();

  /** Run one HTTP call: abortable, rate limits recorded, every failure classified, the answer parsed. */
  async function call<T>(
    method: Method,
    endpointKey: string,
    signal: AbortSignal | undefined,
    send: (api: TwitterApiv2) => Promise<TwitterResponse<unknown>>,
    parse: (data: unknown) => T,
  ): Promise<T> {
    let secrets: readonly string[] = [];
    let sent = false;
    if (signal?.aborted) {
      throw classifyXError(signal.reason, { method, endpoint: endpointKey, secrets, aborted: true, notSent: true });
    }
    try {
      const response = await raceAbort(
        currentSignal.run(signal, async () => {
          const source = await resolveApi(signal);
          secrets = source.secrets;
          sent = true;
          return send(source.api);
        }),
        signal,
      );
      limits.record(endpointKey, response.rateLimit);
      return parse(response.data);
    } catch (error) {
      if (error instanceof ApiResponseError) limits.record(endpointKey, error.rateLimit);
      throw classifyXError(error, { method, endpoint: endpointKey, secrets, aborted: signal?.aborted === true, notSent: !sent });
    }
  }

  function post<T>(endpointKey: string, path: string, body: Record<string, unknown>, signal: AbortSignal | undefined, parse: (data: unknown) => T, form = false): Promise<T> {
    const options = form ? ({ fullResponse: true, forceBodyMode: "form-data" } as const) : ({ fullResponse: true } as const);
    return call("POST", endpointKey, signal, (api) => api.post<unknown>(path, body, options), parse);
  }

  function get<T>(
    endpointKey: string,
    path: string,
    query: TRequestQuery,
    params: Record<string, string> | undefined,
    signal: AbortSignal | undefined,
    parse: (data: unknown) => T,
  ): Promise<T> {
    return call("GET", endpointKey, signal, (api) => api.get<unknown>(path, query, { fullResponse: true, params }), parse);
  }

  async function readTimeline(spec: TimelineSpec, opts: XTimelineOptions, signal: AbortSignal | undefined): Promise<XPage> {
    const requested = Math.max(1, Math.trunc(opts.maxResults ?? DEFAULT_X_PAGE_SIZE));
    const pageSize = Math.min(spec.bounds.max, Math.max(spec.bounds.min, requested));
    const maxPages = Math.max(1, Math.trunc(opts.maxPages ?? (opts.sinceId === undefined ? 1 : DEFAULT_X_SINCE_PAGES)));
    const posts: XPost[] = [];
    const seen = new Set<string>();
    let newestId: string | undefined;
    let token: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const query: TRequestQuery = {
        ...spec.query,
        max_results: pageSize,
        since_id: opts.sinceId,
        [spec.tokenParam]: token,
        expansions: POST_EXPANSIONS,
        "tweet.fields": POST_FIELDS,
        "user.fields": USER_FIELDS,
      };
      const result = await get(spec.endpointKey, spec.path, query, spec.params, signal, parseTimelinePage);
      if (page === 0) newestId = result.newestId;
      for (const post of result.posts) {
        if (seen.has(post.id)) continue;
        seen.add(post.id);
        posts.push(post);
      }
      token = result.nextToken;
      if (token === undefined) break;
    }
    // First run (no cursor): only the `maxResults` newest, even when the endpoint's minimum page is larger.
    const capped = opts.sinceId === undefined && opts.maxPages === undefined ? posts.slice(0, requested) : posts;
    return { posts: capped, newestId };
  }

  return {
    me(signal) {
      return get("GET /2/users/me", "users/me", { "user.fields": USER_FIELDS }, undefined, signal, (data): XUser => {
        const user = parseUserResponse(data);
        if (!user) throw new XUnexpectedResponseError("GET /2/users/me answered without data");
        return user;
      });
    },

    async userByUsername(username, signal) {
      const handle = username.trim().replace(/^@/, "");
      if (!USERNAME_RE.test(handle)) return undefined;
      return get(
        "GET /2/users/by/username/:username",
        "users/by/username/:username",
        { "user.fields": USER_FIELDS },
        { username: encodeURIComponent(handle) },
        signal,
        parseUserResponse,
      );
    },

    mentions(userId, opts, signal) {
      return readTimeline(
        {
          endpointKey: "GET /2/users/:id/mentions",
          path: "users/:id/mentions",
          params: { id: encodeURIComponent(userId) },
          query: {},
          tokenParam: "pagination_token",
          bounds: { min: 5, max: 100 },
        },
        opts,
        signal,
      );
    },

    userPosts(userId, opts: XUserPostsOptions, signal) {
      const exclude = [opts.excludeReplies ? "replies" : undefined, opts.excludeRetweets ? "retweets" : undefined].filter(
        (v): v is string => v !== undefined,
      );
      return readTimeline(
        {
          endpointKey: "GET /2/users/:id/tweets",
          path: "users/:id/tweets",
          params: { id: encodeURIComponent(userId) },
          query: { exclude: exclude.length ? exclude.join(",") : undefined },
          tokenParam: "pagination_token",
          bounds: { min: 5, max: 100 },
        },
        opts,
        signal,
      );
    },

    searchRecent(query, opts, signal) {
      return readTimeline(
        {
          endpointKey: "GET /2/tweets/search/recent",
          path: "tweets/search/recent",
          query: { query },
          tokenParam: "next_token",
          bounds: { min: 10, max: 100 },
        },
        opts,
        signal,
      );
    },

    async lookupPosts(ids, signal) {
      const wanted = [...new Set(ids.map((id) => id.trim()).filter((id) => NUMERIC_ID_RE.test(id)))];
      const found: XPost[] = [];
      for (let i = 0; i < wanted.length; i += LOOKUP_BATCH) {
        const batch = wanted.slice(i, i + LOOKUP_BATCH);
        const query: TRequestQuery = {
          ids: batch.join(","),
          expansions: POST_EXPANSIONS,
          "tweet.fields": POST_FIELDS,
          "user.fields": USER_FIELDS,
        };
        found.push(...(await get("GET /2/tweets", "tweets", query, undefined, signal, parsePostList)));
      }
      return found;
    },

    async getPost(id, signal) {
      if (!NUMERIC_ID_RE.test(id)) return undefined;
      const query: TRequestQuery = {
        expansions: POST_EXPANSIONS,
        "tweet.fields": `${POST_FIELDS},edit_history_tweet_ids`,
        "user.fields": USER_FIELDS,
      };
      try {
        return await get("GET /2/tweets/:id", "tweets/:id", query, { id }, signal, parsePostVersion);
      } catch (error) {
        // X answers a deleted post with a 200 and errors[] (parsed above); a 404 or 410 means the same.
        if (error instanceof XApiError && (error.status === 404 || error.status === 410)) return undefined;
        throw error;
      }
    },

    postReply(text, inReplyToPostId, signal, mediaIds) {
      const media = mediaIds && mediaIds.length > 0 ? { media: { media_ids: [...mediaIds] } } : {};
      const body = { text, reply: { in_reply_to_tweet_id: inReplyToPostId }, ...media };
      return post("POST /2/tweets", "tweets", body, signal, parseCreatedPost);
    },

    uploadMedia(file: XMediaFile, upload = {}) {
      const asIs = (data: unknown): unknown => data;
      return uploadInSteps(
        file,
        {
          initialize: (body, signal) => post("POST /2/media/upload/initialize", "media/upload/initialize", body, signal, asIs),
          append: (mediaId, segmentIndex, chunk, signal) =>
            post("POST /2/media/upload/:id/append", `media/upload/${mediaId}/append`, { segment_index: segmentIndex, media: chunk }, signal, asIs, true),
          finalize: (mediaId, signal) => post("POST /2/media/upload/:id/finalize", `media/upload/${mediaId}/finalize`, {}, signal, asIs),
          status: (mediaId, signal) => get("GET /2/media/upload", "media/upload", { command: "STATUS", media_id: mediaId }, undefined, signal, asIs),
        },
        { ...upload, processingTimeoutMs: options.mediaProcessingTimeoutMs, chunkBytes: options.mediaChunkBytes },
      );
    },

    rateLimits() {
      return limits.snapshot();
    },
  };
}
