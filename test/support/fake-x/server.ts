// The HTTP server: records each request, applies faults, auth and rate limits, and routes to the endpoint modules.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FaultQueue } from "./faults.js";
import { mentionsOf } from "./mentions.js";
import { rateHeaders, RateLimits } from "./rate-limits.js";
import { defaultProblem, JSON_TYPE, problem, tooManyRequests, type FakeResponse } from "./responses.js";
import { parseOAuthToken, ROUTES, type Route } from "./routes.js";
import { searchRecent } from "./search.js";
import { compareIds, FakeXStore, type StoredUser } from "./store.js";
import { deleteTweet, postTweet, tweetById, tweetsByIds } from "./tweets.js";
import type {
  FakeX,
  FakeXEndpointKey,
  FakeXFault,
  FakeXFaultMatch,
  FakeXOptions,
  FakeXRequest,
  FakeXRequestFilter,
  FakeXTweet,
  FakeXUser,
  FakeXUserAccess,
} from "./types.js";
import { X_SUSPENDED_DETAIL } from "./types.js";
import { me, userById, userByUsername, userTweets } from "./users.js";

class FakeXServer implements FakeX {
  baseUrl = "";
  summonedRuleEnforced: boolean;

  private readonly server: http.Server;
  private readonly options: FakeXOptions;
  private readonly store = new FakeXStore();
  private readonly faults = new FaultQueue();
  private readonly limits: RateLimits;
  private recorded: FakeXRequest[] = [];
  private down: number | null = null;
  private hung = new Set<http.ServerResponse>();
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(options: FakeXOptions) {
    this.options = options;
    this.summonedRuleEnforced = options.summonedRuleEnforced ?? false;
    this.limits = new RateLimits(options.rateLimits);
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
    const id = input.id ?? this.store.newUserId();
    if (this.store.users.has(id)) throw new Error(`fake-x: user id ${id} already exists`);
    if (input.accessToken !== undefined && this.store.userByToken(input.accessToken)) {
      throw new Error("fake-x: access token already in use");
    }
    const user: StoredUser = { id, username, name: input.name ?? username };
    if (input.accessToken !== undefined) user.accessToken = input.accessToken;
    this.store.users.set(id, user);
    return { ...user };
  }

  setUserAccess(idOrUsername: string, access: FakeXUserAccess): void {
    const user = this.store.findUser(idOrUsername);
    if (!user) throw new Error(`fake-x: no user ${idOrUsername}`);
    user.access = access;
  }

  user(idOrUsername: string): FakeXUser | undefined {
    const found = this.store.findUser(idOrUsername);
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
    if (!this.store.users.has(input.authorId)) throw new Error(`fake-x: unknown author ${input.authorId}`);
    for (const ref of [input.inReplyToTweetId, input.quotedTweetId, input.retweetOfTweetId]) {
      if (ref !== undefined && !this.store.tweets.has(ref)) throw new Error(`fake-x: unknown referenced tweet ${ref}`);
    }
    const createdAt =
      input.createdAt === undefined ? new Date().toISOString() : new Date(input.createdAt).toISOString();
    return this.store.serialize(
      this.store.createTweet(input.authorId, input.text, {
        inReplyTo: input.inReplyToTweetId,
        quoted: input.quotedTweetId,
        retweeted: input.retweetOfTweetId,
        createdAt,
      }),
    );
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
    this.faults.enqueue(match, fault, times);
  }

  pendingFaults(): number {
    return this.faults.pending();
  }

  setDown(status: number | null): void {
    this.down = status;
  }

  setRateLimit(endpointKey: FakeXEndpointKey, limit: number, windowSeconds: number): void {
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
    this.recorded = [];
    this.faults.clear();
    this.limits.reset();
    this.down = null;
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
    const caller = token === null ? undefined : this.store.userByToken(token);

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
        const limit = route ? this.limits.limitOf(route.key) : 0;
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

  private peekRateHeaders(route: Route | undefined, caller: StoredUser | undefined): Record<string, string> {
    return route ? this.limits.peekHeaders(route.key, caller?.id ?? "anonymous") : {};
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
    if (caller.access === "revoked") return problem(401, "Unauthorized", "Unauthorized");
    if (caller.access === "suspended") return problem(403, "Forbidden", X_SUSPENDED_DETAIL);
    const { bucket, cfg, reset } = this.limits.bucket(route.key, caller.id);
    if (bucket.count >= cfg.limit) {
      return { ...tooManyRequests(), headers: rateHeaders(cfg.limit, 0, reset) };
    }
    bucket.count += 1;
    const headers = rateHeaders(cfg.limit, cfg.limit - bucket.count, reset);
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
        return me(caller);
      case "GET /2/users/by/username/:username":
        return userByUsername(this.store, param);
      case "GET /2/users/:id":
        return userById(this.store, param);
      case "GET /2/users/:id/mentions":
        return mentionsOf(this.store, param, query);
      case "GET /2/users/:id/tweets":
        return userTweets(this.store, param, query);
      case "GET /2/tweets/search/recent":
        return searchRecent(this.store, query);
      case "GET /2/tweets/:id":
        return tweetById(this.store, param, query);
      case "GET /2/tweets":
        return tweetsByIds(this.store, query);
      case "POST /2/tweets":
        return postTweet(this.store, body, caller, this.summonedRuleEnforced);
      case "DELETE /2/tweets/:id":
        return deleteTweet(this.store, param, caller);
    }
  }
}

/** Start a fake X v2 API on 127.0.0.1 (random port). Call `close()` when done. */
export async function startFakeX(options: FakeXOptions = {}): Promise<FakeX> {
  const fake = new FakeXServer(options);
  await fake.listen();
  return fake;
}
