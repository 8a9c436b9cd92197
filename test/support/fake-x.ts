/**
 * Fake X (Twitter) v2 API: a plain `node:http` server on 127.0.0.1 (random port) that speaks enough of
 * the real v2 JSON to drive `twitter-api-v2` end to end, with a fault queue for failure-path tests.
 *
 * Pointing a real client at it: see {@link createTestTwitterClient} / {@link createXApiRootPlugin}.
 *
 * Search query language (GET /2/tweets/search/recent), deliberately small:
 * - whitespace-separated terms are ANDed; `"quoted phrase"` is one term; matching is a case-insensitive
 *   substring test on the tweet text (so `@handle` and `#tag` work as plain words);
 * - a leading `-` negates any term (`-spam`, `-"bad phrase"`, `-is:reply`);
 * - operators: `from:user`, `to:user` (reply to that user), `conversation_id:ID`,
 *   `is:reply` / `is:retweet` / `is:quote`; `lang:xx` is accepted and ignored;
 * - `OR` and parentheses are rejected with 400 (not supported), as is any unknown `is:` value;
 * - the 7-day window of the real endpoint is not modelled.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { TwitterApi } from "twitter-api-v2";
import type { ITwitterApiClientPlugin } from "twitter-api-v2";

// ---------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------

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
  | "DELETE /2/tweets/:id";

/** A rate-limit setting: `limit` requests per caller per fixed window of `windowSeconds`. */
export interface FakeXRateLimitConfig {
  limit: number;
  windowSeconds: number;
}

/** Default per-caller limits (15-minute windows), mirroring X's published user-context limits. */
export const FAKE_X_DEFAULT_RATE_LIMITS: Readonly<Record<FakeXEndpointKey, FakeXRateLimitConfig>> = {
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
};

/** `detail` of X's 403 when the same author posts identical text twice. */
export const X_DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content.";
/** `detail` of X's 403 when replying to a post its author has not "summoned" the caller into. */
export const X_NOT_SUMMONED_DETAIL =
  "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to";
/** `detail` of X's 403 when replying to a deleted / unknown / invisible tweet. */
export const X_REPLY_TO_DELETED_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you.";

/** A user known to the fake. */
export interface FakeXUser {
  id: string;
  username: string;
  name: string;
  /** OAuth 1.0a access token (`oauth_token`) that authenticates as this user, if any. */
  accessToken?: string;
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
  rateLimits?: Partial<Record<FakeXEndpointKey, FakeXRateLimitConfig>>;
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
  /** A tweet by id (undefined when unknown or deleted). */
  tweet(id: string): FakeXTweet | undefined;
  /** All live (non-deleted) tweets, oldest first. */
  tweets(): FakeXTweet[];
  /** Live tweets whose `replied_to` reference is `tweetId`, oldest first. */
  repliesTo(tweetId: string): FakeXTweet[];
  /** Recorded requests (live records: `status` updates when answered), oldest first. */
  requests(filter?: FakeXRequestFilter): readonly Readonly<FakeXRequest>[];
  /** Queue a fault for the next `times` requests matching `match`. */
  enqueueFault(match: FakeXFaultMatch, fault: FakeXFault, times?: number): void;
  /** Number of queued fault uses not yet consumed. */
  pendingFaults(): number;
  /** While non-null, every request is answered with this status (v2 problem body) and nothing is done. */
  setDown(status: number | null): void;
  /** Change a rate limit; resets that endpoint's counters. */
  setRateLimit(endpointKey: FakeXEndpointKey, limit: number, windowSeconds: number): void;
  /** Destroy the sockets of all hung requests; returns how many there were. */
  releaseHangs(): number;
  /** Forget users, tweets, requests, faults, rate-limit state and settings (ids keep increasing). */
  reset(): void;
  /** Stop the server, destroying any open connection. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Client helpers
// ---------------------------------------------------------------------------------------------------

const X_API_HOSTS = new Set(["api.x.com", "api.twitter.com"]);

/** Rewrite an `https://api.x.com/...` URL (as built by twitter-api-v2) onto `apiRoot` (no trailing `/2`). */
export function rewriteXApiUrl(url: string, apiRoot: string): string {
  const parsed = new URL(/^https?:\/\//.test(url) ? url : `https://${url}`);
  if (!X_API_HOSTS.has(parsed.hostname)) return url;
  return apiRoot.replace(/\/+$/, "") + parsed.pathname + parsed.search;
}

/**
 * twitter-api-v2 plugin sending every api.x.com request to `apiRoot` (and optionally giving each request a
 * socket-idle timeout, which twitter-api-v2 has no client-wide setting for).
 */
export function createXApiRootPlugin(apiRoot: string, options: { timeoutMs?: number } = {}): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      params.url = rewriteXApiUrl(params.url, apiRoot);
      if (options.timeoutMs !== undefined && params.timeout === undefined) params.timeout = options.timeoutMs;
    },
    onBeforeStreamRequestConfig({ params }) {
      params.url = rewriteXApiUrl(params.url, apiRoot);
    },
  };
}

/** A real `TwitterApi` (OAuth 1.0a user context for `accessToken`) whose v1/v2 calls all go to `fake`. */
export function createTestTwitterClient(
  fake: Pick<FakeX, "baseUrl">,
  accessToken: string,
  options: { timeoutMs?: number; appKey?: string; appSecret?: string; accessSecret?: string } = {},
): TwitterApi {
  return new TwitterApi(
    {
      appKey: options.appKey ?? "fake-app-key",
      appSecret: options.appSecret ?? "fake-app-secret",
      accessToken,
      accessSecret: options.accessSecret ?? "fake-access-secret",
    },
    {
      // twitter-api-v2 always calls https.request(); an http.Agent makes it speak plain HTTP.
      httpAgent: new http.Agent({ keepAlive: false }),
      plugins: [createXApiRootPlugin(fake.baseUrl, { timeoutMs: options.timeoutMs })],
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------------

interface Route {
  key: FakeXEndpointKey;
  method: string;
  re: RegExp;
}

const ROUTES: readonly Route[] = [
  { key: "GET /2/users/me", method: "GET", re: /^\/2\/users\/me$/ },
  { key: "GET /2/users/by/username/:username", method: "GET", re: /^\/2\/users\/by\/username\/([^/]+)$/ },
  { key: "GET /2/users/:id/mentions", method: "GET", re: /^\/2\/users\/([^/]+)\/mentions$/ },
  { key: "GET /2/users/:id/tweets", method: "GET", re: /^\/2\/users\/([^/]+)\/tweets$/ },
  { key: "GET /2/users/:id", method: "GET", re: /^\/2\/users\/([^/]+)$/ },
  { key: "GET /2/tweets/search/recent", method: "GET", re: /^\/2\/tweets\/search\/recent$/ },
  { key: "GET /2/tweets", method: "GET", re: /^\/2\/tweets$/ },
  { key: "POST /2/tweets", method: "POST", re: /^\/2\/tweets$/ },
  { key: "GET /2/tweets/:id", method: "GET", re: /^\/2\/tweets\/([^/]+)$/ },
  { key: "DELETE /2/tweets/:id", method: "DELETE", re: /^\/2\/tweets\/([^/]+)$/ },
];

interface StoredUser {
  id: string;
  username: string;
  name: string;
  accessToken?: string;
}

interface StoredTweet {
  id: string;
  text: string;
  authorId: string;
  createdAt: string;
  conversationId: string;
  inReplyToUserId?: string;
  refs: FakeXReferencedTweet[];
  deleted: boolean;
}

interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface QueuedFault {
  match: FakeXFaultMatch;
  fault: FakeXFault;
  remaining: number;
}

interface Bucket {
  count: number;
  windowStart: number;
}

const JSON_TYPE = "application/json; charset=utf-8";
const MENTION_RE = /(^|[^A-Za-z0-9_])[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@])/g;

function problem(status: number, title: string, detail: string, type = "about:blank"): FakeResponse {
  return { status, body: { title, detail, type, status } };
}

function defaultProblem(status: number): FakeResponse {
  const title = http.STATUS_CODES[status] ?? "Error";
  return problem(status, title, title);
}

function invalidRequest(parameter: string, value: string, message: string): FakeResponse {
  return {
    status: 400,
    body: {
      errors: [{ parameters: { [parameter]: [value] }, message }],
      title: "Invalid Request",
      detail: "One or more parameters to your request was invalid.",
      type: "https://api.twitter.com/2/problems/invalid-request",
    },
  };
}

function notFoundError(resourceType: "tweet" | "user", parameter: string, value: string): Record<string, string> {
  return {
    value,
    detail: `Could not find ${resourceType} with ${parameter}: [${value}].`,
    title: "Not Found Error",
    resource_type: resourceType,
    parameter,
    resource_id: value,
    type: "https://api.twitter.com/2/problems/resource-not-found",
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function isNumericId(value: string): boolean {
  return /^\d{1,19}$/.test(value);
}

function extractMentions(text: string): { username: string; index: number; length: number }[] {
  const out: { username: string; index: number; length: number }[] = [];
  for (const m of text.matchAll(MENTION_RE)) {
    const prefix = m[1] ?? "";
    const username = m[2] ?? "";
    out.push({ username, index: (m.index ?? 0) + prefix.length, length: username.length + 1 });
  }
  return out;
}

function codePointLength(s: string): number {
  return Array.from(s).length;
}

function encodePageToken(oldestId: string): string {
  return Buffer.from(`fakex:${oldestId}`).toString("base64url");
}

function decodePageToken(token: string): string | null {
  const raw = Buffer.from(token, "base64url").toString("utf8");
  const m = /^fakex:(\d+)$/.exec(raw);
  return m?.[1] ?? null;
}

function parseOAuthToken(header: string | undefined): string | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer?.[1]) return bearer[1].trim();
  if (!/^OAuth\s/i.test(header)) return null;
  const m = /(?:^OAuth\s+|,\s*)oauth_token="([^"]*)"/i.exec(header);
  if (!m?.[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

type SearchTerm =
  | { negate: boolean; kind: "text"; value: string }
  | { negate: boolean; kind: "from" | "to" | "conversation_id"; value: string }
  | { negate: boolean; kind: "is"; value: "reply" | "retweet" | "quote" }
  | { negate: boolean; kind: "ignored" };

function parseSearchQuery(query: string): SearchTerm[] | string {
  const terms: SearchTerm[] = [];
  for (const m of query.matchAll(/(-?)"([^"]*)"|(\S+)/g)) {
    if (m[2] !== undefined) {
      if (m[2].trim()) terms.push({ negate: m[1] === "-", kind: "text", value: m[2].toLowerCase() });
      continue;
    }
    const raw = m[3] ?? "";
    if (raw === "OR") return "The OR operator is not supported by the fake X search";
    if (raw.startsWith("(") || raw.endsWith(")")) return "Parentheses are not supported by the fake X search";
    const negate = raw.length > 1 && raw.startsWith("-");
    const body = negate ? raw.slice(1) : raw;
    const op = /^([a-z_]+):(.+)$/i.exec(body);
    const name = op?.[1]?.toLowerCase();
    const value = op?.[2] ?? "";
    if (name === "from" || name === "to" || name === "conversation_id") {
      terms.push({ negate, kind: name, value: name === "conversation_id" ? value : value.replace(/^@/, "").toLowerCase() });
    } else if (name === "is") {
      const v = value.toLowerCase();
      if (v !== "reply" && v !== "retweet" && v !== "quote") return `Unsupported operator is:${value}`;
      terms.push({ negate, kind: "is", value: v });
    } else if (name === "lang") {
      terms.push({ negate, kind: "ignored" });
    } else {
      terms.push({ negate, kind: "text", value: body.toLowerCase() });
    }
  }
  return terms;
}

// ---------------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------------

class FakeXServer implements FakeX {
  baseUrl = "";
  summonedRuleEnforced: boolean;

  private readonly server: http.Server;
  private readonly options: FakeXOptions;
  private users = new Map<string, StoredUser>();
  private tweetStore = new Map<string, StoredTweet>();
  private recorded: FakeXRequest[] = [];
  private faults: QueuedFault[] = [];
  private limits: Record<FakeXEndpointKey, FakeXRateLimitConfig>;
  private buckets = new Map<string, Bucket>();
  private down: number | null = null;
  private hung = new Set<http.ServerResponse>();
  private waiters = new Set<() => void>();
  private closed = false;
  private nextTweetId = 1_900_000_000_000_000_000n;
  private nextUserId = 1_000_000_001n;

  constructor(options: FakeXOptions) {
    this.options = options;
    this.summonedRuleEnforced = options.summonedRuleEnforced ?? false;
    this.limits = { ...FAKE_X_DEFAULT_RATE_LIMITS, ...options.rateLimits };
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => {
        console.error("fake-x: handler crashed", error);
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { "content-type": JSON_TYPE });
          res.end(JSON.stringify({ title: "Internal Error", detail: String(error), type: "about:blank", status: 500 }));
        }
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${address.port}`;
  }

  // ----- control API -----

  addUser(input: { id?: string; username: string; name?: string; accessToken?: string }): FakeXUser {
    const username = input.username.replace(/^@/, "");
    if (!/^[A-Za-z0-9_]{1,15}$/.test(username)) throw new Error(`fake-x: invalid username ${JSON.stringify(input.username)}`);
    if (this.user(username)) throw new Error(`fake-x: username @${username} already exists`);
    const id = input.id ?? String(this.nextUserId++);
    if (this.users.has(id)) throw new Error(`fake-x: user id ${id} already exists`);
    if (input.accessToken !== undefined && [...this.users.values()].some((u) => u.accessToken === input.accessToken)) {
      throw new Error("fake-x: access token already in use");
    }
    const user: StoredUser = { id, username, name: input.name ?? username };
    if (input.accessToken !== undefined) user.accessToken = input.accessToken;
    this.users.set(id, user);
    return { ...user };
  }

  user(idOrUsername: string): FakeXUser | undefined {
    const found = this.findUser(idOrUsername);
    return found ? { ...found } : undefined;
  }

  addTweet(input: {
    authorId: string;
    text: string;
    inReplyToTweetId?: string;
    quotedTweetId?: string;
    retweetOfTweetId?: string;
    createdAt?: string | Date;
  }): FakeXTweet {
    if (!this.users.has(input.authorId)) throw new Error(`fake-x: unknown author ${input.authorId}`);
    for (const ref of [input.inReplyToTweetId, input.quotedTweetId, input.retweetOfTweetId]) {
      if (ref !== undefined && !this.tweetStore.has(ref)) throw new Error(`fake-x: unknown referenced tweet ${ref}`);
    }
    const createdAt =
      input.createdAt === undefined ? new Date().toISOString() : new Date(input.createdAt).toISOString();
    return this.serialize(
      this.createTweet(input.authorId, input.text, {
        inReplyTo: input.inReplyToTweetId,
        quoted: input.quotedTweetId,
        retweeted: input.retweetOfTweetId,
        createdAt,
      }),
    );
  }

  deleteTweet(id: string): void {
    const t = this.tweetStore.get(id);
    if (!t) throw new Error(`fake-x: unknown tweet ${id}`);
    t.deleted = true;
  }

  tweet(id: string): FakeXTweet | undefined {
    const t = this.tweetStore.get(id);
    return t && !t.deleted ? this.serialize(t) : undefined;
  }

  tweets(): FakeXTweet[] {
    return this.liveTweets()
      .sort((a, b) => compareIds(a.id, b.id))
      .map((t) => this.serialize(t));
  }

  repliesTo(tweetId: string): FakeXTweet[] {
    return this.liveTweets()
      .filter((t) => t.refs.some((r) => r.type === "replied_to" && r.id === tweetId))
      .sort((a, b) => compareIds(a.id, b.id))
      .map((t) => this.serialize(t));
  }

  requests(filter?: FakeXRequestFilter): readonly Readonly<FakeXRequest>[] {
    if (!filter) return [...this.recorded];
    if (typeof filter === "function") return this.recorded.filter(filter);
    return this.recorded.filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.path === undefined ||
          (typeof filter.path === "string" ? r.path === filter.path : filter.path.test(r.path))) &&
        (filter.endpoint === undefined || r.endpoint === filter.endpoint) &&
        (filter.callerUserId === undefined || r.callerUserId === filter.callerUserId),
    );
  }

  enqueueFault(match: FakeXFaultMatch, fault: FakeXFault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error("fake-x: times must be a positive integer");
    this.faults.push({ match, fault, remaining: times });
  }

  pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.remaining, 0);
  }

  setDown(status: number | null): void {
    this.down = status;
  }

  setRateLimit(endpointKey: FakeXEndpointKey, limit: number, windowSeconds: number): void {
    this.limits[endpointKey] = { limit, windowSeconds };
    for (const key of [...this.buckets.keys()]) if (key.startsWith(`${endpointKey}|`)) this.buckets.delete(key);
  }

  releaseHangs(): number {
    const n = this.hung.size;
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    return n;
  }

  reset(): void {
    this.releaseHangs();
    this.users.clear();
    this.tweetStore.clear();
    this.recorded = [];
    this.faults = [];
    this.buckets.clear();
    this.down = null;
    this.limits = { ...FAKE_X_DEFAULT_RATE_LIMITS, ...this.options.rateLimits };
    this.summonedRuleEnforced = this.options.summonedRuleEnforced ?? false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.releaseHangs();
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ----- store helpers -----

  private findUser(idOrUsername: string): StoredUser | undefined {
    const direct = this.users.get(idOrUsername);
    if (direct) return direct;
    const lower = idOrUsername.replace(/^@/, "").toLowerCase();
    for (const u of this.users.values()) if (u.username.toLowerCase() === lower) return u;
    return undefined;
  }

  private liveTweets(): StoredTweet[] {
    return [...this.tweetStore.values()].filter((t) => !t.deleted);
  }

  private createTweet(
    authorId: string,
    text: string,
    opts: { inReplyTo?: string; quoted?: string; retweeted?: string; createdAt?: string },
  ): StoredTweet {
    const id = String(this.nextTweetId++);
    const refs: FakeXReferencedTweet[] = [];
    let conversationId = id;
    let inReplyToUserId: string | undefined;
    if (opts.inReplyTo !== undefined) {
      const parent = this.tweetStore.get(opts.inReplyTo);
      refs.push({ type: "replied_to", id: opts.inReplyTo });
      if (parent) {
        conversationId = parent.conversationId;
        inReplyToUserId = parent.authorId;
      }
    }
    if (opts.quoted !== undefined) refs.push({ type: "quoted", id: opts.quoted });
    if (opts.retweeted !== undefined) refs.push({ type: "retweeted", id: opts.retweeted });
    const tweet: StoredTweet = {
      id,
      text,
      authorId,
      createdAt: opts.createdAt ?? new Date().toISOString(),
      conversationId,
      refs,
      deleted: false,
    };
    if (inReplyToUserId !== undefined) tweet.inReplyToUserId = inReplyToUserId;
    this.tweetStore.set(id, tweet);
    return tweet;
  }

  private mentionEntities(text: string): FakeXMention[] {
    const out: FakeXMention[] = [];
    for (const m of extractMentions(text)) {
      const user = this.findUser(m.username);
      if (!user) continue;
      const start = codePointLength(text.slice(0, m.index));
      out.push({ username: user.username, id: user.id, start, end: start + m.length });
    }
    return out;
  }

  private serialize(t: StoredTweet): FakeXTweet {
    const out: FakeXTweet = {
      id: t.id,
      text: t.text,
      author_id: t.authorId,
      created_at: t.createdAt,
      conversation_id: t.conversationId,
      edit_history_tweet_ids: [t.id],
    };
    if (t.inReplyToUserId !== undefined) out.in_reply_to_user_id = t.inReplyToUserId;
    if (t.refs.length) out.referenced_tweets = t.refs.map((r) => ({ ...r }));
    const mentions = this.mentionEntities(t.text);
    if (mentions.length) out.entities = { mentions };
    return out;
  }

  private publicUser(u: StoredUser): { id: string; name: string; username: string } {
    return { id: u.id, name: u.name, username: u.username };
  }

  /** True when `t`'s text @-mentions `user`. */
  private mentions(t: StoredTweet, user: StoredUser): boolean {
    const lower = user.username.toLowerCase();
    return extractMentions(t.text).some((m) => m.username.toLowerCase() === lower);
  }

  // ----- HTTP plumbing -----

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  private takeFault(method: string, path: string, route: Route | undefined): FakeXFault | null {
    const idx = this.faults.findIndex((f) => {
      if (f.match.method !== undefined && f.match.method.toUpperCase() !== method) return false;
      const p = f.match.path;
      if (p === undefined) return true;
      if (p instanceof RegExp) return p.test(path);
      return p === path || (route !== undefined && route.key.slice(route.key.indexOf(" ") + 1) === p);
    });
    const queued = idx === -1 ? undefined : this.faults[idx];
    if (!queued) return null;
    queued.remaining -= 1;
    if (queued.remaining <= 0) this.faults.splice(idx, 1);
    return queued.fault;
  }

  private send(res: http.ServerResponse, record: FakeXRequest, response: FakeResponse): void {
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string> = { ...response.headers };
    let payload = "";
    if (typeof response.body === "string") {
      payload = response.body;
      if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "text/plain";
    } else if (response.body !== undefined) {
      payload = JSON.stringify(response.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = JSON_TYPE;
    }
    headers["content-length"] = String(Buffer.byteLength(payload));
    res.writeHead(response.status, headers);
    res.end(payload);
    record.status = response.status;
  }

  private rateHeaders(limit: number, remaining: number, reset: number): Record<string, string> {
    return {
      "x-rate-limit-limit": String(limit),
      "x-rate-limit-remaining": String(Math.max(0, remaining)),
      "x-rate-limit-reset": String(reset),
    };
  }

  /** Current bucket of (endpoint, caller), rolled over when its window has passed. */
  private bucket(key: FakeXEndpointKey, callerKey: string): { bucket: Bucket; cfg: FakeXRateLimitConfig; reset: number } {
    const cfg = this.limits[key];
    const now = Date.now();
    const id = `${key}|${callerKey}`;
    let bucket = this.buckets.get(id);
    if (!bucket || now >= bucket.windowStart + cfg.windowSeconds * 1000) {
      bucket = { count: 0, windowStart: now };
      this.buckets.set(id, bucket);
    }
    return { bucket, cfg, reset: Math.ceil((bucket.windowStart + cfg.windowSeconds * 1000) / 1000) };
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    let body: unknown = undefined;
    if (rawBody.length) {
      try {
        body = JSON.parse(rawBody) as unknown;
      } catch {
        body = rawBody;
      }
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const path = url.pathname;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const route = ROUTES.find((r) => r.method === method && r.re.test(path));
    const token = parseOAuthToken(req.headers.authorization);
    const caller = token === null ? undefined : [...this.users.values()].find((u) => u.accessToken === token);

    const record: FakeXRequest = {
      method,
      path,
      query,
      body,
      callerUserId: caller?.id ?? null,
      at: Date.now(),
      status: null,
      endpoint: route?.key ?? null,
      fault: null,
    };
    this.recorded.push(record);

    let clientGone = false;
    res.on("close", () => {
      if (!res.writableFinished) clientGone = true;
    });

    if (this.down !== null) {
      record.fault = "down";
      this.send(res, record, defaultProblem(this.down));
      return;
    }

    const fault = this.takeFault(method, path, route);
    record.fault = fault?.kind ?? null;
    const handle = (): FakeResponse => this.process(method, path, query, body, route, caller);

    switch (fault?.kind) {
      case undefined:
        this.send(res, record, handle());
        return;
      case "status": {
        const base = fault.body === undefined ? defaultProblem(fault.status) : { status: fault.status, body: fault.body };
        this.send(res, record, { ...base, headers: { ...this.peekRateHeaders(route, caller), ...fault.headers } });
        return;
      }
      case "rateLimited": {
        const limit = route ? this.limits[route.key].limit : 0;
        const reset = Math.ceil(Date.now() / 1000) + fault.resetInSeconds;
        this.send(res, record, { ...tooManyRequests(), headers: this.rateHeaders(limit, 0, reset) });
        return;
      }
      case "delay":
        await this.wait(fault.ms);
        if (clientGone || this.closed) return;
        this.send(res, record, handle());
        return;
      case "commitThenDelay": {
        const response = handle();
        await this.wait(fault.ms);
        if (clientGone || this.closed) return;
        this.send(res, record, response);
        return;
      }
      case "commitThenDrop":
        handle();
        res.destroy();
        return;
      case "drop":
        res.destroy();
        return;
      case "hang":
        this.hung.add(res);
        res.on("close", () => this.hung.delete(res));
        return;
    }
  }

  private peekRateHeaders(route: Route | undefined, caller: StoredUser | undefined): Record<string, string> {
    if (!route) return {};
    const { bucket, cfg, reset } = this.bucket(route.key, caller?.id ?? "anonymous");
    return this.rateHeaders(cfg.limit, cfg.limit - bucket.count, reset);
  }

  /** Auth, rate limiting and routing; performs side effects and returns the answer. */
  private process(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
    route: Route | undefined,
    caller: StoredUser | undefined,
  ): FakeResponse {
    if (!route) {
      return problem(404, "Not Found Error", `The requested resource ${method} ${path} could not be found.`);
    }
    if (!caller) {
      const r = problem(401, "Unauthorized", "Unauthorized");
      return { ...r, headers: this.peekRateHeaders(route, undefined) };
    }
    const { bucket, cfg, reset } = this.bucket(route.key, caller.id);
    if (bucket.count >= cfg.limit) {
      return { ...tooManyRequests(), headers: this.rateHeaders(cfg.limit, 0, reset) };
    }
    bucket.count += 1;
    const headers = this.rateHeaders(cfg.limit, cfg.limit - bucket.count, reset);
    const param = decodeURIComponent(route.re.exec(path)?.[1] ?? "");
    const response = this.dispatch(route.key, param, query, body, caller);
    return { ...response, headers: { ...headers, ...response.headers } };
  }

  private dispatch(
    key: FakeXEndpointKey,
    param: string,
    query: Record<string, string>,
    body: unknown,
    caller: StoredUser,
  ): FakeResponse {
    switch (key) {
      case "GET /2/users/me":
        return { status: 200, body: { data: this.publicUser(caller) } };
      case "GET /2/users/by/username/:username": {
        const u = this.findUserByUsername(param);
        return u
          ? { status: 200, body: { data: this.publicUser(u) } }
          : { status: 200, body: { errors: [notFoundError("user", "username", param)] } };
      }
      case "GET /2/users/:id": {
        const u = this.users.get(param);
        return u
          ? { status: 200, body: { data: this.publicUser(u) } }
          : { status: 200, body: { errors: [notFoundError("user", "id", param)] } };
      }
      case "GET /2/users/:id/mentions": {
        const u = this.users.get(param);
        if (!u) return { status: 200, body: { errors: [notFoundError("user", "id", param)] } };
        const list = this.liveTweets().filter(
          (t) => t.authorId !== u.id && (this.mentions(t, u) || t.inReplyToUserId === u.id),
        );
        return this.timeline(list, query, { min: 5, max: 100 });
      }
      case "GET /2/users/:id/tweets": {
        const u = this.users.get(param);
        if (!u) return { status: 200, body: { errors: [notFoundError("user", "id", param)] } };
        const exclude = new Set((query.exclude ?? "").split(",").map((s) => s.trim()).filter(Boolean));
        for (const e of exclude) {
          if (e !== "replies" && e !== "retweets") {
            return invalidRequest("exclude", e, `The \`exclude\` query parameter value [${e}] is not one of [replies,retweets]`);
          }
        }
        const list = this.liveTweets().filter(
          (t) =>
            t.authorId === u.id &&
            !(exclude.has("replies") && t.refs.some((r) => r.type === "replied_to")) &&
            !(exclude.has("retweets") && t.refs.some((r) => r.type === "retweeted")),
        );
        return this.timeline(list, query, { min: 5, max: 100 });
      }
      case "GET /2/tweets/search/recent":
        return this.search(query);
      case "GET /2/tweets/:id": {
        const t = this.tweetStore.get(param);
        if (!t || t.deleted) return { status: 200, body: { errors: [notFoundError("tweet", "id", param)] } };
        return { status: 200, body: this.withIncludes({ data: this.serialize(t) }, [t], query) };
      }
      case "GET /2/tweets": {
        const ids = (query.ids ?? "").split(",").map((s) => s.trim()).filter(Boolean);
        if (!ids.length) return invalidRequest("ids", "", "The `ids` query parameter can not be empty");
        if (ids.length > 100) return invalidRequest("ids", query.ids ?? "", "The `ids` query parameter can hold at most 100 ids");
        const found: StoredTweet[] = [];
        const errors: Record<string, string>[] = [];
        for (const id of ids) {
          const t = this.tweetStore.get(id);
          if (t && !t.deleted) found.push(t);
          else errors.push(notFoundError("tweet", "ids", id));
        }
        const out: Record<string, unknown> = {};
        if (found.length) out.data = found.map((t) => this.serialize(t));
        if (errors.length) out.errors = errors;
        return { status: 200, body: this.withIncludes(out, found, query) };
      }
      case "POST /2/tweets":
        return this.postTweet(body, caller);
      case "DELETE /2/tweets/:id": {
        const t = this.tweetStore.get(param);
        if (!t || t.deleted) return problem(404, "Not Found Error", `Could not find tweet with id: [${param}].`);
        if (t.authorId !== caller.id) return problem(403, "Forbidden", "You are not allowed to delete this Tweet.");
        t.deleted = true;
        return { status: 200, body: { data: { deleted: true } } };
      }
    }
  }

  private findUserByUsername(username: string): StoredUser | undefined {
    const lower = username.replace(/^@/, "").toLowerCase();
    for (const u of this.users.values()) if (u.username.toLowerCase() === lower) return u;
    return undefined;
  }

  private postTweet(body: unknown, caller: StoredUser): FakeResponse {
    if (!isRecord(body)) return invalidRequest("body", "", "Request body must be a JSON object");
    const text = body.text;
    if (typeof text !== "string" || text.trim() === "") {
      return invalidRequest("text", typeof text === "string" ? text : "", "$.text: Tweet text must not be empty");
    }
    let inReplyTo: string | undefined;
    if (body.reply !== undefined) {
      if (!isRecord(body.reply) || typeof body.reply.in_reply_to_tweet_id !== "string") {
        return invalidRequest("reply.in_reply_to_tweet_id", "", "$.reply.in_reply_to_tweet_id: is missing but it is required");
      }
      inReplyTo = body.reply.in_reply_to_tweet_id;
    }
    let quoted: string | undefined;
    if (body.quote_tweet_id !== undefined) {
      if (typeof body.quote_tweet_id !== "string") {
        return invalidRequest("quote_tweet_id", JSON.stringify(body.quote_tweet_id), "$.quote_tweet_id: must be a string");
      }
      quoted = body.quote_tweet_id;
      const q = this.tweetStore.get(quoted);
      if (!q || q.deleted) return problem(403, "Forbidden", "You attempted to quote a Tweet that is deleted or not visible to you.");
    }
    if (inReplyTo !== undefined) {
      const parent = this.tweetStore.get(inReplyTo);
      if (!parent || parent.deleted) return problem(403, "Forbidden", X_REPLY_TO_DELETED_DETAIL);
      if (this.summonedRuleEnforced && !this.summoned(parent, caller)) {
        return problem(403, "Forbidden", X_NOT_SUMMONED_DETAIL);
      }
    }
    if (this.liveTweets().some((t) => t.authorId === caller.id && t.text === text)) {
      return problem(403, "Forbidden", X_DUPLICATE_DETAIL);
    }
    const t = this.createTweet(caller.id, text, { inReplyTo, quoted });
    return { status: 201, body: { data: { id: t.id, text: t.text, edit_history_tweet_ids: [t.id] } } };
  }

  /** Whether the author of `parent` "engaged" `caller`: own post, @-mention, quote of or reply to a caller post. */
  private summoned(parent: StoredTweet, caller: StoredUser): boolean {
    if (parent.authorId === caller.id) return true;
    if (this.mentions(parent, caller)) return true;
    if (parent.inReplyToUserId === caller.id) return true;
    return parent.refs.some((r) => r.type === "quoted" && this.tweetStore.get(r.id)?.authorId === caller.id);
  }

  private search(query: Record<string, string>): FakeResponse {
    const q = query.query;
    if (q === undefined || !q.trim()) return invalidRequest("query", "", "The `query` query parameter can not be empty");
    const terms = parseSearchQuery(q);
    if (typeof terms === "string") return invalidRequest("query", q, terms);
    const list = this.liveTweets().filter((t) =>
      terms.every((term) => {
        if (term.kind === "ignored") return true;
        return this.matchTerm(t, term) !== term.negate;
      }),
    );
    return this.timeline(list, query, { min: 10, max: 100 });
  }

  private matchTerm(t: StoredTweet, term: Exclude<SearchTerm, { kind: "ignored" }>): boolean {
    switch (term.kind) {
      case "text":
        return t.text.toLowerCase().includes(term.value);
      case "from":
        return this.users.get(t.authorId)?.username.toLowerCase() === term.value;
      case "to":
        return t.inReplyToUserId !== undefined && this.users.get(t.inReplyToUserId)?.username.toLowerCase() === term.value;
      case "conversation_id":
        return t.conversationId === term.value;
      case "is":
        if (term.value === "reply") return t.refs.some((r) => r.type === "replied_to");
        if (term.value === "retweet") return t.refs.some((r) => r.type === "retweeted");
        return t.refs.some((r) => r.type === "quoted");
    }
  }

  /** Newest-first page of `list` honouring since_id, until_id, max_results and pagination_token/next_token. */
  private timeline(list: StoredTweet[], query: Record<string, string>, bounds: { min: number; max: number }): FakeResponse {
    let maxResults = 10;
    if (query.max_results !== undefined) {
      const n = Number(query.max_results);
      if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) {
        return invalidRequest(
          "max_results",
          query.max_results,
          `The \`max_results\` query parameter value [${query.max_results}] is not between ${bounds.min} and ${bounds.max}`,
        );
      }
      maxResults = n;
    }
    for (const p of ["since_id", "until_id"] as const) {
      const v = query[p];
      if (v !== undefined && !isNumericId(v)) {
        return invalidRequest(p, v, `The \`${p}\` query parameter value [${v}] is not valid`);
      }
    }
    const tokenParam = query.pagination_token !== undefined ? "pagination_token" : "next_token";
    const token = query[tokenParam];
    let before: string | null = null;
    if (token !== undefined) {
      before = decodePageToken(token);
      if (before === null) return invalidRequest(tokenParam, token, `The \`${tokenParam}\` query parameter value [${token}] is not valid`);
    }
    const sinceId = query.since_id;
    const untilId = query.until_id;
    const sorted = list
      .filter(
        (t) =>
          (sinceId === undefined || compareIds(t.id, sinceId) > 0) &&
          (untilId === undefined || compareIds(t.id, untilId) < 0) &&
          (before === null || compareIds(t.id, before) < 0),
      )
      .sort((a, b) => compareIds(b.id, a.id));
    const page = sorted.slice(0, maxResults);
    const first = page[0];
    const last = page[page.length - 1];
    const meta: Record<string, unknown> = { result_count: page.length };
    if (first && last) {
      meta.newest_id = first.id;
      meta.oldest_id = last.id;
      if (sorted.length > page.length) meta.next_token = encodePageToken(last.id);
    }
    const out: Record<string, unknown> = {};
    if (page.length) out.data = page.map((t) => this.serialize(t));
    out.meta = meta;
    return { status: 200, body: this.withIncludes(out, page, query) };
  }

  /** Add `includes` for `expansions` (author_id, in_reply_to_user_id, entities.mentions.username, referenced_tweets.id[.author_id]). */
  private withIncludes(out: Record<string, unknown>, tweets: StoredTweet[], query: Record<string, string>): Record<string, unknown> {
    const expansions = new Set((query.expansions ?? "").split(",").map((s) => s.trim()).filter(Boolean));
    if (!expansions.size || !tweets.length) return out;
    const users = new Map<string, StoredUser>();
    const addUser = (id: string | undefined): void => {
      const u = id === undefined ? undefined : this.users.get(id);
      if (u) users.set(u.id, u);
    };
    const refTweets = new Map<string, StoredTweet>();
    for (const t of tweets) {
      if (expansions.has("author_id")) addUser(t.authorId);
      if (expansions.has("in_reply_to_user_id")) addUser(t.inReplyToUserId);
      if (expansions.has("entities.mentions.username")) for (const m of this.mentionEntities(t.text)) addUser(m.id);
      if (expansions.has("referenced_tweets.id") || expansions.has("referenced_tweets.id.author_id")) {
        for (const r of t.refs) {
          const rt = this.tweetStore.get(r.id);
          if (!rt || rt.deleted) continue;
          if (expansions.has("referenced_tweets.id")) refTweets.set(rt.id, rt);
          if (expansions.has("referenced_tweets.id.author_id")) addUser(rt.authorId);
        }
      }
    }
    const includes: Record<string, unknown> = {};
    if (users.size) includes.users = [...users.values()].map((u) => this.publicUser(u));
    if (refTweets.size) includes.tweets = [...refTweets.values()].map((t) => this.serialize(t));
    return Object.keys(includes).length ? { ...out, includes } : out;
  }
}

function tooManyRequests(): FakeResponse {
  return problem(429, "Too Many Requests", "Too Many Requests");
}

/** Start a fake X v2 API on 127.0.0.1 (random port). Call `close()` when done. */
export async function startFakeX(options: FakeXOptions = {}): Promise<FakeX> {
  const fake = new FakeXServer(options);
  await fake.listen();
  return fake;
}
