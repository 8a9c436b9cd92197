// The HTTP server: records each request, applies faults, auth and rate limits, and routes to the endpoint modules.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { dispatch } from "./endpoints.js";
import { FaultQueue } from "./faults.js";
import { parseRequestBody } from "./multipart.js";
import { FakeOAuth2, type TokenRequest } from "./oauth2.js";
import { rateHeaders, RateLimits } from "./rate-limits.js";
import { defaultProblem, JSON_TYPE, problem, tooManyRequests, writeResponse, type FakeResponse } from "./responses.js";
import { isOAuth2Endpoint, matchesRequestFilter, parseOAuthToken, ROUTES, type Route } from "./routes.js";
import { compareIds, FakeXStore, type SeedTweetInput, type StoredUser } from "./store.js";
import type {
  FakeX,
  FakeXAuthorizeInput,
  FakeXFault,
  FakeXFaultMatch,
  FakeXMediaSettings,
  FakeXMediaUpload,
  FakeXOAuth2Client,
  FakeXOptions,
  FakeXRequest,
  FakeXRequestFilter,
  FakeXTweet,
  FakeXUser,
  FakeXUserAccess,
  FakeXUserEndpointKey,
} from "./types.js";
import { X_SUSPENDED_DETAIL } from "./types.js";

class FakeXServer implements FakeX {
  baseUrl = "";
  summonedRuleEnforced: boolean;

  private readonly server: http.Server;
  private readonly options: FakeXOptions;
  private readonly store = new FakeXStore();
  private readonly faults = new FaultQueue();
  private readonly oauth2: FakeOAuth2;
  private readonly limits: RateLimits;
  private recorded: FakeXRequest[] = [];
  private down: number | null = null;
  private clockOffsetMs = 0;
  /** Users whose next POST /2/tweets revokes them, with what to call then. */
  private readonly revokeOnPost = new Map<string, () => void>();
  private hung = new Set<http.ServerResponse>();
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(options: FakeXOptions) {
    this.options = options;
    this.summonedRuleEnforced = options.summonedRuleEnforced ?? false;
    this.limits = new RateLimits(options.rateLimits);
    this.oauth2 = new FakeOAuth2(options.oauth2);
    this.server = http.createServer((req, res) => {
      // Node writes Date itself unless one is set: a skewed one shows a server whose clock differs from ours.
      if (this.clockOffsetMs !== 0) res.setHeader("date", new Date(Date.now() + this.clockOffsetMs).toUTCString());
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
    return { ...this.store.addUser(input) };
  }

  setUserAccess(idOrUsername: string, access: FakeXUserAccess): void {
    const user = this.store.findUser(idOrUsername);
    if (!user) throw new Error(`fake-x: no user ${idOrUsername}`);
    user.access = access;
    if (access === "revoked") this.oauth2.revokeUser(user.id);
  }

  revokeAtNextPost(idOrUsername: string, onRevoked: () => void = () => undefined): void {
    this.revokeOnPost.set(this.existingUser(idOrUsername).id, onRevoked);
  }

  addOAuth2Client(client: FakeXOAuth2Client): void {
    this.oauth2.addClient(client);
  }

  authorize(idOrUsername: string, input: FakeXAuthorizeInput): string {
    return this.oauth2.authorize(this.existingUser(idOrUsername).id, input);
  }

  approveAuthorizationLink(link: string, idOrUsername: string): string {
    return this.oauth2.approveLink(this.existingUser(idOrUsername).id, link);
  }

  setOAuth2AccessTokenTtl(seconds: number): void {
    this.oauth2.setAccessTokenTtl(seconds);
  }

  liveOAuth2RefreshTokens(idOrUsername: string): number {
    return this.oauth2.liveRefreshTokens(this.existingUser(idOrUsername).id);
  }

  private existingUser(idOrUsername: string): StoredUser {
    const user = this.store.findUser(idOrUsername);
    if (!user) throw new Error(`fake-x: no user ${idOrUsername}`);
    return user;
  }

  user(idOrUsername: string): FakeXUser | undefined {
    const found = this.store.findUser(idOrUsername);
    return found ? { ...found } : undefined;
  }

  addTweet(input: SeedTweetInput): FakeXTweet {
    return this.store.serialize(this.store.seedTweet(input));
  }

  deleteTweet(id: string): void {
    const t = this.store.tweets.get(id);
    if (!t) throw new Error(`fake-x: unknown tweet ${id}`);
    t.deleted = true;
  }

  editTweet(id: string, text: string): FakeXTweet {
    const t = this.store.liveTweet(id);
    if (!t) throw new Error(`fake-x: unknown tweet ${id}`);
    return this.store.serialize(this.store.editTweet(t, text));
  }

  tweet(id: string): FakeXTweet | undefined {
    const t = this.store.liveTweet(id);
    return t ? this.store.serialize(t) : undefined;
  }

  tweets(): FakeXTweet[] {
    return this.store
      .liveTweets()
      .sort((a, b) => compareIds(a.id, b.id))
      .map((t) => this.store.serialize(t));
  }

  repliesTo(tweetId: string): FakeXTweet[] {
    return this.store
      .liveTweets()
      .filter((t) => t.refs.some((r) => r.type === "replied_to" && r.id === tweetId))
      .sort((a, b) => compareIds(a.id, b.id))
      .map((t) => this.store.serialize(t));
  }

  mediaUploads(idOrUsername?: string): FakeXMediaUpload[] {
    const ownerId = idOrUsername === undefined ? undefined : this.existingUser(idOrUsername).id;
    const media = this.store.media;
    return [...media.uploads.values()].filter((m) => ownerId === undefined || m.ownerId === ownerId).map((m) => media.describe(m));
  }

  setMediaProcessing(settings: FakeXMediaSettings): void {
    this.store.media.configure(settings);
  }

  failNextMediaProcessing(message = "Unsupported video format"): void {
    this.store.media.failNextProcessing(message);
  }

  expireMedia(mediaId: string): void {
    this.store.media.expire(mediaId);
  }

  requests(filter?: FakeXRequestFilter): readonly Readonly<FakeXRequest>[] {
    return filter ? this.recorded.filter((r) => matchesRequestFilter(r, filter)) : [...this.recorded];
  }

  enqueueFault(match: FakeXFaultMatch, fault: FakeXFault, times = 1): void {
    this.faults.enqueue(match, fault, times);
  }

  pendingFaults(): number {
    return this.faults.pending();
  }

  setDown(status: number | null): void {
    this.down = status;
  }

  setClockOffset(ms: number): void {
    this.clockOffsetMs = ms;
  }

  setRateLimit(endpointKey: FakeXUserEndpointKey, limit: number, windowSeconds: number): void {
    this.limits.set(endpointKey, limit, windowSeconds);
  }

  releaseHangs(): number {
    const n = this.hung.size;
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    return n;
  }

  reset(): void {
    this.releaseHangs();
    this.store.clear();
    this.oauth2.clear();
    this.recorded = [];
    this.faults.clear();
    this.revokeOnPost.clear();
    this.limits.reset();
    this.down = null;
    this.clockOffsetMs = 0;
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

  private send(res: http.ServerResponse, record: FakeXRequest, response: FakeResponse): void {
    if (writeResponse(res, response)) record.status = response.status;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const rawBody = raw.toString("utf8");
    const body = parseRequestBody(raw, req.headers["content-type"]);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const path = url.pathname;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const route = ROUTES.find((r) => r.method === method && r.re.test(path));
    const caller = this.callerOf(req.headers.authorization);
    const tokenRequest: TokenRequest = {
      authorization: req.headers.authorization,
      contentType: req.headers["content-type"],
      rawBody,
    };

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

    const fault = this.faults.take(method, path, route);
    record.fault = fault?.kind ?? null;
    const handle = (): FakeResponse => this.process(method, path, query, body, route, caller, tokenRequest);

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
        const limit = route && !isOAuth2Endpoint(route.key) ? this.limits.limitOf(route.key) : 0;
        const reset = Math.ceil(Date.now() / 1000) + fault.resetInSeconds;
        this.send(res, record, { ...tooManyRequests(), headers: rateHeaders(limit, 0, reset) });
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

  /** The user an OAuth 1.0a `oauth_token` or a live Bearer token (static or OAuth 2.0) stands for. */
  private callerOf(authorization: string | undefined): StoredUser | undefined {
    const token = parseOAuthToken(authorization);
    if (token === null) return undefined;
    const bearer = this.oauth2.bearer(token);
    if (bearer === "expired") return undefined;
    return bearer ? this.store.users.get(bearer.userId) : this.store.userByToken(token);
  }

  private peekRateHeaders(route: Route | undefined, caller: StoredUser | undefined): Record<string, string> {
    return route && !isOAuth2Endpoint(route.key) ? this.limits.peekHeaders(route.key, caller?.id ?? "anonymous") : {};
  }

  /** Auth, rate limiting and routing; performs side effects and returns the answer. */
  private process(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
    route: Route | undefined,
    caller: StoredUser | undefined,
    tokenRequest: TokenRequest,
  ): FakeResponse {
    if (!route) {
      return problem(404, "Not Found Error", `The requested resource ${method} ${path} could not be found.`);
    }
    const key = route.key;
    if (key === "POST /2/oauth2/token") return this.oauth2.token(tokenRequest);
    if (key === "POST /2/oauth2/revoke") return this.oauth2.revoke(tokenRequest);
    if (!caller) {
      const r = problem(401, "Unauthorized", "Unauthorized");
      return { ...r, headers: this.peekRateHeaders(route, undefined) };
    }
    const revokedNow = key === "POST /2/tweets" ? this.revokeOnPost.get(caller.id) : undefined;
    if (revokedNow) {
      this.revokeOnPost.delete(caller.id);
      this.setUserAccess(caller.id, "revoked");
      revokedNow();
    }
    if (caller.access === "revoked") return problem(401, "Unauthorized", "Unauthorized");
    if (caller.access === "suspended") return problem(403, "Forbidden", X_SUSPENDED_DETAIL);
    // X refuses media uploads to an OAuth 2.0 token granted without media.write with a bare 403.
    if (key.includes("/media/upload") && this.oauth2.lacksScope(parseOAuthToken(tokenRequest.authorization), "media.write")) {
      return defaultProblem(403);
    }
    const { bucket, cfg, reset } = this.limits.bucket(key, caller.id);
    if (bucket.count >= cfg.limit) {
      return { ...tooManyRequests(), headers: rateHeaders(cfg.limit, 0, reset) };
    }
    bucket.count += 1;
    const headers = rateHeaders(cfg.limit, cfg.limit - bucket.count, reset);
    const param = decodeURIComponent(route.re.exec(path)?.[1] ?? "");
    const response = dispatch(this.store, { key, param, query, body, caller }, this.summonedRuleEnforced);
    return { ...response, headers: { ...headers, ...response.headers } };
  }
}

/** Start a fake X v2 API on 127.0.0.1 (random port). Call `close()` when done. */
export async function startFakeX(options: FakeXOptions = {}): Promise<FakeX> {
  const fake = new FakeXServer(options);
  await fake.listen();
  return fake;
}
