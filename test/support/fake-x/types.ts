// Public types and constants of the fake X API: everything a test sees.

/** Rate-limit bucket / route identifier of the fake (`"METHOD /2/path/:param"`). */
export type FakeXEndpointKey =
  | "GET /2/users/me"
  | "GET /2/users/by/username/:username"
  | "GET /2/users/:id"
  | "GET /2/users/:id/mentions"
  | "GET /2/users/:id/tweets"
  | "GET /2/tweets/search/recent"
  | "GET /2/tweets/:id"
  | "GET /2/tweets"
  | "POST /2/tweets"
  | "DELETE /2/tweets/:id"
  | "POST /2/media/upload/initialize"
  | "POST /2/media/upload/:id/append"
  | "POST /2/media/upload/:id/finalize"
  | "GET /2/media/upload"
  | FakeXOAuth2EndpointKey;

/** The OAuth 2.0 endpoints: the app authenticates itself there, not a user, and they have no per-user limit. */
export type FakeXOAuth2EndpointKey = "POST /2/oauth2/token" | "POST /2/oauth2/revoke";

/** An endpoint called as a user, with a per-user rate limit. */
export type FakeXUserEndpointKey = Exclude<FakeXEndpointKey, FakeXOAuth2EndpointKey>;

/** A rate-limit setting: `limit` requests per caller per fixed window of `windowSeconds`. */
export interface FakeXRateLimitConfig {
  limit: number;
  windowSeconds: number;
}

/** Default per-caller limits (15-minute windows), mirroring X's published user-context limits. */
export const FAKE_X_DEFAULT_RATE_LIMITS: Readonly<Record<FakeXUserEndpointKey, FakeXRateLimitConfig>> = {
  "GET /2/users/me": { limit: 75, windowSeconds: 900 },
  "GET /2/users/by/username/:username": { limit: 900, windowSeconds: 900 },
  "GET /2/users/:id": { limit: 900, windowSeconds: 900 },
  "GET /2/users/:id/mentions": { limit: 300, windowSeconds: 900 },
  "GET /2/users/:id/tweets": { limit: 900, windowSeconds: 900 },
  "GET /2/tweets/search/recent": { limit: 450, windowSeconds: 900 },
  "GET /2/tweets/:id": { limit: 900, windowSeconds: 900 },
  "GET /2/tweets": { limit: 900, windowSeconds: 900 },
  "POST /2/tweets": { limit: 100, windowSeconds: 900 },
  "DELETE /2/tweets/:id": { limit: 50, windowSeconds: 900 },
  // Media upload: generous, a 512 MB video is 128 appends.
  "POST /2/media/upload/initialize": { limit: 500, windowSeconds: 900 },
  "POST /2/media/upload/:id/append": { limit: 5000, windowSeconds: 900 },
  "POST /2/media/upload/:id/finalize": { limit: 500, windowSeconds: 900 },
  "GET /2/media/upload": { limit: 5000, windowSeconds: 900 },
};

/** `detail` of X's 403 when the same author posts identical text twice. */
export const X_DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content.";
/** `detail` of X's 403 when replying to a post its author has not "summoned" the caller into. */
export const X_NOT_SUMMONED_DETAIL =
  "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to";
/** `detail` of X's 403 to a suspended account. */
export const X_SUSPENDED_DETAIL = "Your account is suspended and is not permitted to access this feature.";
/** `detail` of X's 403 when replying to a deleted / unknown / invisible tweet. */
export const X_REPLY_TO_DELETED_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you.";

/** Whether X still lets a user's token in. */
export type FakeXUserAccess = "ok" | "revoked" | "suspended";

/** A user known to the fake. */
export interface FakeXUser {
  id: string;
  username: string;
  name: string;
  /** OAuth 1.0a access token (`oauth_token`) that authenticates as this user, if any. */
  accessToken?: string;
}

/** An X app's OAuth 2.0 client: confidential with a secret (HTTP Basic at the token endpoint), public without. */
export interface FakeXOAuth2Client {
  clientId: string;
  clientSecret?: string;
  /** Callback URLs registered in the app's settings; authorize() refuses any other. */
  redirectUris: string[];
}

/** What the authorization link carries to x.com's "Authorize app" page. */
export interface FakeXAuthorizeInput {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  /** `S256` (case-insensitive, twitter-api-v2 sends `s256`) or `plain`. */
  codeChallengeMethod: string;
  /** Space-separated scopes; `offline.access` makes the token endpoint hand out refresh tokens. */
  scope: string;
}

/** OAuth 2.0 settings of {@link startFakeX}. */
export interface FakeXOAuth2Options {
  /** Lifetime of access tokens (default 7200, X's 2 h); fractions allowed so tests can make it short. */
  accessTokenTtlSeconds?: number;
  /** Lifetime of authorization codes (default 30, as on X). */
  authorizationCodeTtlSeconds?: number;
}

/** A mention entity as returned by the v2 API (`start`/`end` are code-point offsets, end exclusive). */
export interface FakeXMention {
  username: string;
  id: string;
  start: number;
  end: number;
}

/** A `referenced_tweets` entry. */
export interface FakeXReferencedTweet {
  type: "replied_to" | "quoted" | "retweeted";
  id: string;
}

/** A tweet in the v2 API shape (what the fake returns for every tweet, whatever `tweet.fields` says). */
export interface FakeXTweet {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  conversation_id: string;
  edit_history_tweet_ids: string[];
  in_reply_to_user_id?: string;
  referenced_tweets?: FakeXReferencedTweet[];
  entities?: { mentions: FakeXMention[] };
  /** Media attached by POST /2/tweets `media.media_ids` (X's media keys, e.g. `3_<media id>` for a photo). */
  attachments?: { media_keys: string[] };
}

/** X's media categories the fake accepts. */
export type FakeXMediaCategory = "tweet_image" | "tweet_gif" | "tweet_video";

/**
 * Where an upload stands: `uploading` (initialized, not finalized), `processing` (GIF/video after finalize),
 * `succeeded` (attachable), `failed` (processing failed), `expired` (past `expires_after_secs`).
 */
export type FakeXMediaState = "uploading" | "processing" | "succeeded" | "failed" | "expired";

/** An upload as a test sees it. */
export interface FakeXMediaUpload {
  mediaId: string;
  mediaKey: string;
  /** The uploading user's id (only this user may append, finalize, read or attach it). */
  ownerId: string;
  mediaType: string;
  category: FakeXMediaCategory;
  totalBytes: number;
  /** Bytes received, each segment index counted once. */
  appendedBytes: number;
  /** APPEND requests accepted (a retried segment counts twice here, once in `segments`). */
  appends: number;
  /** Distinct segment indexes received. */
  segments: number;
  state: FakeXMediaState;
  expiresAt: Date;
}

/** How the fake's media processing and expiry behave (each setting kept until changed or `reset()`). */
export interface FakeXMediaSettings {
  /** How long a GIF or video stays in processing after finalize (ms, default 200; images need none). */
  processingMs?: number;
  /** `check_after_secs` while processing (default 1, as X; fractions allowed to keep tests fast). */
  checkAfterSecs?: number;
  /** Lifetime of a media id from initialize (seconds, default 86400 as X; fractions allowed). */
  expiresAfterSecs?: number;
}

/** A canned misbehaviour, consumed by the next matching request(s). */
export type FakeXFault =
  /** Answer this status (body defaults to the v2 problem JSON for the status; a string body is sent raw). Nothing is done. */
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** Answer 429 with `x-rate-limit-remaining: 0` and a reset `resetInSeconds` from now. Nothing is done. */
  | { kind: "rateLimited"; resetInSeconds: number }
  /** Wait `ms`, then handle normally; if the client has gone by then, nothing is done. */
  | { kind: "delay"; ms: number }
  /** Handle now (e.g. create the tweet), answer only after `ms`; the effect survives a client timeout. */
  | { kind: "commitThenDelay"; ms: number }
  /** Handle now, then destroy the socket without answering. */
  | { kind: "commitThenDrop" }
  /** Destroy the socket without doing anything. */
  | { kind: "drop" }
  /** Never answer (until `releaseHangs()` or `close()`, which destroy the socket). Nothing is done. */
  | { kind: "hang" };

/** Which requests a fault applies to: `method` (case-insensitive) and `path` (exact pathname, route pattern such as `/2/users/:id/mentions`, or RegExp tested on the pathname). */
export interface FakeXFaultMatch {
  method?: string;
  path?: string | RegExp;
}

/** A request as seen (and recorded) by the fake. `status` is filled in when answered; null if never answered. */
export interface FakeXRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  callerUserId: string | null;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  status: number | null;
  endpoint: FakeXEndpointKey | null;
  /** The fault applied to this request, `"down"` when answered by `setDown`, else null. */
  fault: FakeXFault["kind"] | "down" | null;
}

/** Filter for {@link FakeX.requests}: all given fields must match, or a predicate. */
export type FakeXRequestFilter =
  | {
      method?: string;
      path?: string | RegExp;
      endpoint?: FakeXEndpointKey;
      callerUserId?: string;
    }
  | ((request: Readonly<FakeXRequest>) => boolean);

/** Options of {@link startFakeX}. */
export interface FakeXOptions {
  /** Enforce X's "reply only when summoned" rule on POST /2/tweets replies (default false). */
  summonedRuleEnforced?: boolean;
  /** Override default rate limits. */
  rateLimits?: Partial<Record<FakeXUserEndpointKey, FakeXRateLimitConfig>>;
  /** OAuth 2.0 token lifetimes. */
  oauth2?: FakeXOAuth2Options;
}

/** Handle on a running fake X server. */
export interface FakeX {
  /** API root WITHOUT `/2`, e.g. `http://127.0.0.1:40123`. */
  readonly baseUrl: string;
  /** Whether POST /2/tweets replies must be "summoned" (mutable at any time). */
  summonedRuleEnforced: boolean;
  /** Add a user; `id` defaults to an increasing numeric string, `name` to `username`. */
  addUser(input: { id?: string; username: string; name?: string; accessToken?: string }): FakeXUser;
  /** Look a user up by id or (case-insensitive) username. */
  user(idOrUsername: string): FakeXUser | undefined;
  /**
   * Revokes (401), suspends (403) or restores the user's access: every later call with its token sees it.
   * Revoking also kills the user's OAuth 2.0 tokens for good (restoring access does not bring them back).
   */
  setUserAccess(idOrUsername: string, access: FakeXUserAccess): void;
  /**
   * Revokes the user's access at X's receipt of its next POST /2/tweets, which is answered 401 (the token dies
   * between the publisher's last read and its POST); `onRevoked` is called then. Forgotten by `reset()`.
   */
  revokeAtNextPost(idOrUsername: string, onRevoked?: () => void): void;
  /** Register an app's OAuth 2.0 client (cleared by `reset()`). */
  addOAuth2Client(client: FakeXOAuth2Client): void;
  /** The user clicks "Authorize app" on x.com for this request: returns the one-time authorization code. */
  authorize(idOrUsername: string, input: FakeXAuthorizeInput): string;
  /**
   * The user opens `link` (an authorization URL) and clicks "Authorize app": returns the callback URL x.com
   * redirects the browser to (`redirect_uri?state=…&code=…`).
   */
  approveAuthorizationLink(link: string, idOrUsername: string): string;
  /** Lifetime of access tokens issued from now on (seconds; fractions allowed). */
  setOAuth2AccessTokenTtl(seconds: number): void;
  /** How many refresh tokens of the user still work. */
  liveOAuth2RefreshTokens(idOrUsername: string): number;
  /** Seed a tweet as if `authorId` had posted it (no rule checks). */
  addTweet(input: {
    authorId: string;
    text: string;
    inReplyToTweetId?: string;
    quotedTweetId?: string;
    retweetOfTweetId?: string;
    createdAt?: string | Date;
  }): FakeXTweet;
  /** Mark a tweet deleted (lookups then answer not-found errors; replies to it get 403). */
  deleteTweet(id: string): void;
  /**
   * Edit a tweet as X does: the new text becomes a new version with a new id, every version's
   * `edit_history_tweet_ids` lists all ids oldest first, and the old id still reads the old text.
   */
  editTweet(id: string, text: string): FakeXTweet;
  /** A tweet by id (undefined when unknown or deleted). */
  tweet(id: string): FakeXTweet | undefined;
  /** All live (non-deleted) tweets, oldest first. */
  tweets(): FakeXTweet[];
  /** Live tweets whose `replied_to` reference is `tweetId`, oldest first. */
  repliesTo(tweetId: string): FakeXTweet[];
  /** Uploads, oldest first; only those of one user (id or username) when given. */
  mediaUploads(idOrUsername?: string): FakeXMediaUpload[];
  /** Change processing delay, `check_after_secs` or media lifetime for uploads from now on. */
  setMediaProcessing(settings: FakeXMediaSettings): void;
  /** The next GIF or video finalized fails processing with `message` (queued: call twice for two). */
  failNextMediaProcessing(message?: string): void;
  /** Expire a media id now: appends, finalize, status and posts with it get X's 400. */
  expireMedia(mediaId: string): void;
  /** Recorded requests (live records: `status` updates when answered), oldest first. */
  requests(filter?: FakeXRequestFilter): readonly Readonly<FakeXRequest>[];
  /** Queue a fault for the next `times` requests matching `match`. */
  enqueueFault(match: FakeXFaultMatch, fault: FakeXFault, times?: number): void;
  /** Number of queued fault uses not yet consumed. */
  pendingFaults(): number;
  /** While non-null, every request is answered with this status (v2 problem body) and nothing is done. */
  setDown(status: number | null): void;
  /** Every answer's `Date` header runs this many ms ahead of this machine's clock (negative: behind); `reset()` clears it. */
  setClockOffset(ms: number): void;
  /** Change a rate limit; resets that endpoint's counters. */
  setRateLimit(endpointKey: FakeXUserEndpointKey, limit: number, windowSeconds: number): void;
  /** Destroy the sockets of all hung requests; returns how many there were. */
  releaseHangs(): number;
  /** Forget users, tweets, uploads and media settings, OAuth 2.0 clients and tokens, requests, faults, rate-limit state and settings (ids keep increasing). */
  reset(): void;
  /** Stop the server, destroying any open connection. */
  close(): Promise<void>;
}
