import http from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { classifyXError, isXApiError } from "../../src/x/errors.js";
import type { XApiError } from "../../src/x/errors.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient } from "../../src/x/types.js";
import { X_DUPLICATE_DETAIL, X_NOT_SUMMONED_DETAIL, X_REPLY_TO_DELETED_DETAIL, X_SUSPENDED_DETAIL, startFakeX } from "../support/fake-x/index.js";
import type { FakeX, FakeXTweet, FakeXUser } from "../support/fake-x/index.js";
import { TEST_ACCESS_SECRET, TEST_APP_SECRET, rejectionOf, xClientFor } from "./x-test-client.js";

async function xError(promise: Promise<unknown>): Promise<XApiError> {
  const error = await rejectionOf(promise);
  if (!isXApiError(error)) throw new Error(`expected XApiError, got ${inspect(error)}`);
  return error;
}

/** A localhost port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("X error classification through real HTTP", () => {
  let fake: FakeX;
  let bot: FakeXUser;
  let alice: FakeXUser;
  let client: XAccountClient;
  let root: FakeXTweet;

  beforeAll(async () => {
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    bot = fake.addUser({ username: "replyguy", accessToken: "bot-token" });
    alice = fake.addUser({ username: "alice" });
    root = fake.addTweet({ authorId: alice.id, text: "@replyguy what do you think?" });
    client = xClientFor(fake, "bot-token");
  });

  it("503 is transient/server_error; a POST may have succeeded, a GET did nothing", async () => {
    fake.enqueueFault({ method: "GET" }, { kind: "status", status: 503 });
    const get = await xError(client.me());
    expect(get).toMatchObject({ kind: "transient", reason: "server_error", status: 503, mayHaveSucceeded: false });
    expect(get.message).toContain("GET /2/users/me");
    expect(get.message).toContain("503");
    expect(get.message).not.toContain("GET GET");

    fake.setDown(503);
    const post = await xError(client.postReply("hi", root.id));
    expect(post).toMatchObject({ kind: "transient", reason: "server_error", status: 503, mayHaveSucceeded: true });
    expect(post.endpoint).toBe("POST /2/tweets");
  });

  it("a dropped connection is transient/network; GET → not succeeded, POST commitThenDrop → may have succeeded", async () => {
    fake.enqueueFault({ method: "GET" }, { kind: "drop" });
    expect(await xError(client.mentions(bot.id, {}))).toMatchObject({
      kind: "transient",
      reason: "network",
      status: undefined,
      mayHaveSucceeded: false,
    });

    fake.enqueueFault({ method: "POST" }, { kind: "commitThenDrop" });
    const error = await xError(client.postReply("committed", root.id));
    expect(error).toMatchObject({ kind: "transient", reason: "network", mayHaveSucceeded: true });
    expect(error.message).toMatch(/ECONNRESET|socket hang up/);
    expect(fake.repliesTo(root.id).map((t) => t.text)).toEqual(["committed"]);
  });

  it("connection refused is transient/network and cannot have succeeded, even for a POST", async () => {
    const port = await closedPort();
    const nowhere = createXAccountClient({
      apiRoot: `http://127.0.0.1:${port}`,
      credentials: { appKey: "k", appSecret: TEST_APP_SECRET, accessToken: "bot-token", accessSecret: TEST_ACCESS_SECRET },
    });
    const error = await xError(nowhere.postReply("hi", root.id));
    expect(error).toMatchObject({ kind: "transient", reason: "network", mayHaveSucceeded: false, status: undefined });
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("a POST that times out after X committed it is transient/timeout, may have succeeded, and exists exactly once", async () => {
    const impatient = xClientFor(fake, "bot-token", { requestTimeoutMs: 150 });
    await impatient.me(); // warm up, so the 150 ms cannot be spent before the POST reaches the fake
    fake.enqueueFault({ method: "POST" }, { kind: "commitThenDelay", ms: 600 });
    const error = await xError(impatient.postReply("held by X", root.id));
    expect(error).toMatchObject({ kind: "transient", reason: "timeout", mayHaveSucceeded: true, status: undefined });
    expect(fake.tweets().filter((t) => t.text === "held by X")).toHaveLength(1);

    // Blindly retrying would be a duplicate (exactly like X): permanent/duplicate_content, nothing new created.
    const retry = await xError(impatient.postReply("held by X", root.id));
    expect(retry).toMatchObject({ kind: "permanent", reason: "duplicate_content", status: 403, mayHaveSucceeded: false });
    expect(retry.message).toContain(X_DUPLICATE_DETAIL);
    expect(fake.repliesTo(root.id)).toHaveLength(1);
  });

  it("429 is rate_limited with resetAt from x-rate-limit-reset, and rateLimits() shows the exhausted window", async () => {
    fake.enqueueFault({ path: "/2/users/:id/mentions" }, { kind: "rateLimited", resetInSeconds: 120 });
    const error = await xError(client.mentions(bot.id, { sinceId: root.id }));
    expect(error).toMatchObject({ kind: "rate_limited", reason: "rate_limited", status: 429, mayHaveSucceeded: false });
    const expected = Date.now() + 120_000;
    expect(Math.abs((error.resetAt?.getTime() ?? 0) - expected)).toBeLessThan(2_000);
    expect(client.rateLimits().get("GET /2/users/:id/mentions")).toMatchObject({ remaining: 0, resetAt: error.resetAt });
  });

  it("429 with only retry-after uses it; 24 h windows are kept under suffixed keys", async () => {
    fake.enqueueFault({ method: "POST" }, { kind: "status", status: 429, headers: { "retry-after": "30" } });
    const error = await xError(client.postReply("hi", root.id));
    expect(error.kind).toBe("rate_limited");
    expect(Math.abs((error.resetAt?.getTime() ?? 0) - (Date.now() + 30_000))).toBeLessThan(2_000);

    const dayReset = Math.ceil(Date.now() / 1000) + 20 * 3600;
    fake.enqueueFault(
      { method: "POST" },
      {
        kind: "status",
        status: 429,
        headers: {
          "x-rate-limit-limit": "100",
          "x-rate-limit-remaining": "50",
          "x-rate-limit-reset": String(Math.ceil(Date.now() / 1000) + 600),
          "x-user-limit-24hour-limit": "17",
          "x-user-limit-24hour-remaining": "0",
          "x-user-limit-24hour-reset": String(dayReset),
        },
      },
    );
    const daily = await xError(client.postReply("hi", root.id));
    expect(daily.resetAt?.getTime()).toBe(dayReset * 1000);
    expect(client.rateLimits().get("POST /2/tweets [user 24h]")).toMatchObject({ limit: 17, remaining: 0 });
    expect(client.rateLimits().get("POST /2/tweets")).toMatchObject({ limit: 100, remaining: 50 });
  });

  it("X's 403 texts map to duplicate_content, not_summoned and deleted_post", async () => {
    await client.postReply("same words", root.id);
    const duplicate = await xError(client.postReply("same words", root.id));
    expect(duplicate).toMatchObject({ kind: "permanent", reason: "duplicate_content", status: 403 });

    fake.summonedRuleEnforced = true;
    const unrelated = fake.addTweet({ authorId: alice.id, text: "nobody asked you" });
    const notSummoned = await xError(client.postReply("unsolicited", unrelated.id));
    expect(notSummoned).toMatchObject({ kind: "permanent", reason: "not_summoned", status: 403, mayHaveSucceeded: false });
    expect(notSummoned.message).toContain("not been mentioned");

    fake.deleteTweet(unrelated.id);
    const deleted = await xError(client.postReply("too late", unrelated.id));
    expect(deleted).toMatchObject({ kind: "permanent", reason: "deleted_post", status: 403 });
    expect(deleted.message).toContain(X_REPLY_TO_DELETED_DETAIL);
    expect(X_NOT_SUMMONED_DETAIL).toBeTruthy();
  });

  it("v1-style codes 385 and 433 and a 'restricted' text are recognised", async () => {
    fake.enqueueFault(
      { method: "POST" },
      { kind: "status", status: 403, body: { errors: [{ code: 385, message: "You attempted to reply to a tweet that is deleted." }] } },
    );
    expect((await xError(client.postReply("a", root.id))).reason).toBe("deleted_post");
    fake.enqueueFault(
      { method: "POST" },
      { kind: "status", status: 403, body: { errors: [{ code: 433, message: "The original Tweet author restricted who can reply to this Tweet." }] } },
    );
    const restricted = await xError(client.postReply("b", root.id));
    expect(restricted).toMatchObject({ kind: "permanent", reason: "reply_restricted" });
    expect(restricted.message).toContain("code 433");
    fake.enqueueFault(
      { method: "POST" },
      { kind: "status", status: 403, body: { title: "Forbidden", detail: "Replies to this post are restricted.", type: "about:blank" } },
    );
    expect((await xError(client.postReply("c", root.id))).reason).toBe("reply_restricted");
    fake.enqueueFault({ method: "POST" }, { kind: "status", status: 403 });
    expect((await xError(client.postReply("d", root.id))).reason).toBe("forbidden");
  });

  it("a 403 saying the account itself is suspended or locked is account_suspended, on reads and on the POST", async () => {
    fake.setUserAccess(bot.id, "suspended");
    expect(await xError(client.me())).toMatchObject({ kind: "permanent", reason: "account_suspended", status: 403 });
    const refused = await xError(client.postReply("e", root.id));
    expect(refused).toMatchObject({ reason: "account_suspended", mayHaveSucceeded: false });
    expect(refused.message).toContain(X_SUSPENDED_DETAIL);
    fake.setUserAccess(bot.id, "ok");
    fake.enqueueFault(
      { method: "GET" },
      { kind: "status", status: 403, body: { errors: [{ code: 326, message: "To protect our users from spam and other malicious activity, this account is temporarily locked." }] } },
    );
    expect((await xError(client.me())).reason).toBe("account_suspended");
  });

  it("other statuses: 400 bad_request, 404 not_found, 408 transient timeout, 401 unauthorized", async () => {
    fake.enqueueFault({ method: "GET" }, { kind: "status", status: 404 });
    expect(await xError(client.me())).toMatchObject({ kind: "permanent", reason: "not_found", status: 404 });
    fake.enqueueFault({ method: "GET" }, { kind: "status", status: 408 });
    expect(await xError(client.me())).toMatchObject({ kind: "transient", reason: "timeout", status: 408 });
    const bad = await xError(client.mentions(bot.id, { sinceId: "not-a-number" }));
    expect(bad).toMatchObject({ kind: "permanent", reason: "bad_request", status: 400 });
    expect(bad.message).toContain("since_id");

    const stranger = xClientFor(fake, "stolen-token-123");
    const unauthorized = await xError(stranger.postReply("hi", root.id));
    expect(unauthorized).toMatchObject({ kind: "permanent", reason: "unauthorized", status: 401, mayHaveSucceeded: false });
  });

  it("messages never carry credentials and trim X's body to 200 characters", async () => {
    const stranger = xClientFor(fake, "stolen-token-123");
    const unauthorized = await xError(stranger.me());
    const leaked = [unauthorized.message, unauthorized.stack ?? "", JSON.stringify(unauthorized), inspect(unauthorized, { depth: 5 })].join("\n");
    for (const secret of ["stolen-token-123", TEST_APP_SECRET, TEST_ACCESS_SECRET, "oauth_signature"]) {
      expect(leaked).not.toContain(secret);
    }

    // A body echoing the Authorization header and our token, far longer than 200 characters.
    const echo = `Bad auth: Authorization: OAuth oauth_consumer_key="test-app-key", oauth_token="bot-token-secret-ish", oauth_signature="abc" ${TEST_ACCESS_SECRET} ${"x".repeat(1_000)}`;
    const echoing = createXAccountClient({
      apiRoot: fake.baseUrl,
      credentials: { appKey: "test-app-key", appSecret: TEST_APP_SECRET, accessToken: "bot-token", accessSecret: TEST_ACCESS_SECRET },
    });
    fake.enqueueFault({ method: "GET" }, { kind: "status", status: 400, body: { title: "Invalid Request", detail: echo, type: "about:blank" } });
    const error = await xError(echoing.me());
    expect(error.reason).toBe("bad_request");
    expect(error.message).not.toContain(TEST_ACCESS_SECRET);
    expect(error.message).not.toContain("bot-token");
    expect(error.message).not.toContain("abc\"");
    const body = error.message.slice(error.message.indexOf("HTTP 400: ") + "HTTP 400: ".length);
    expect(body.length).toBeLessThanOrEqual(200);

    fake.enqueueFault({ method: "GET" }, { kind: "status", status: 500, body: "y".repeat(5_000) });
    const plain = await xError(echoing.me());
    expect(plain.message.length).toBeLessThan(320);
  });

  it("a 2xx or 5xx with a broken JSON body is a transient server error", async () => {
    fake.enqueueFault(
      { method: "POST" },
      { kind: "status", status: 502, body: "<html>bad gateway</html>", headers: { "content-type": "application/json" } },
    );
    expect(await xError(client.postReply("x", root.id))).toMatchObject({
      kind: "transient",
      reason: "server_error",
      status: 502,
      mayHaveSucceeded: true,
    });
    fake.enqueueFault({ method: "POST" }, { kind: "status", status: 201, body: { data: {} } });
    expect(await xError(client.postReply("y", root.id))).toMatchObject({
      kind: "transient",
      reason: "server_error",
      mayHaveSucceeded: true,
    });
  });
});

describe("classifyXError without HTTP", () => {
  const ctx = { method: "post", endpoint: "POST /2/tweets" };

  it("returns an XApiError unchanged", () => {
    const original = classifyXError(new Error("boom"), ctx);
    expect(classifyXError(original, ctx)).toBe(original);
  });

  it("treats AbortError as aborted and unknown errors conservatively", () => {
    const abort = new DOMException("stop", "AbortError");
    expect(classifyXError(abort, ctx)).toMatchObject({ reason: "aborted", kind: "transient", mayHaveSucceeded: true });
    expect(classifyXError(abort, { ...ctx, notSent: true }).mayHaveSucceeded).toBe(false);
    expect(classifyXError(new TypeError("weird"), ctx)).toMatchObject({ kind: "transient", reason: "network", mayHaveSucceeded: true });
    expect(classifyXError(new TypeError("weird"), { method: "GET", endpoint: "GET /2/users/me" }).mayHaveSucceeded).toBe(false);
    const timeout = Object.assign(new Error("connect ETIMEDOUT 1.2.3.4:443"), { code: "ETIMEDOUT", syscall: "connect" });
    expect(classifyXError(timeout, ctx)).toMatchObject({ reason: "timeout", mayHaveSucceeded: false });
  });

  it("redacts the listed secrets from any message", () => {
    const error = classifyXError(new Error("failed for token sekrit-123"), { ...ctx, secrets: ["sekrit-123"] });
    expect(error.message).not.toContain("sekrit-123");
    expect(error.message).toContain("[redacted]");
  });
});
