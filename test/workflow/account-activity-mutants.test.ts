/**
 * The account's client as the pool hands it out: every call reaches the real client with its arguments and answers
 * what X answered, and each call X answered counts once as activity (the health monitor then spares users/me);
 * a refused call and a read of the rate-limit windows count nothing.
 */
import { describe, expect, it } from "vitest";
import { countingSuccesses } from "../../src/workflow/account-activity.js";
import type { XAccountClient, XMediaFile, XPage, XRateLimit, XStepRunner } from "../../src/x/types.js";

type Call = readonly [method: string, ...args: unknown[]];

/** A client that records each call and answers a value naming it, or rejects every call once `failing` is set. */
function recordingClient() {
  const calls: Call[] = [];
  const state = { failing: false };
  const windows = new Map<string, XRateLimit>([["GET /2/users/me", { limit: 75, remaining: 70, resetAt: new Date(0) }]]);
  const answer = <T>(value: T, method: string, ...args: unknown[]): Promise<T> => {
    calls.push([method, ...args]);
    return state.failing ? Promise.reject(new Error(`${method} refused`)) : Promise.resolve(value);
  };
  const page = (tag: string): XPage => ({ posts: [], newestId: tag });
  const client: XAccountClient = {
    me: (signal) => answer({ id: "1", username: "me", name: "Me" }, "me", signal),
    userByUsername: (username, signal) => answer({ id: "2", username, name: "U" }, "userByUsername", username, signal),
    mentions: (userId, opts, signal) => answer(page("mentions"), "mentions", userId, opts, signal),
    userPosts: (userId, opts, signal) => answer(page("userPosts"), "userPosts", userId, opts, signal),
    searchRecent: (query, opts, signal) => answer(page("searchRecent"), "searchRecent", query, opts, signal),
    lookupPosts: (ids, signal) => answer([], "lookupPosts", ids, signal),
    getPost: (id, signal) => answer(undefined, "getPost", id, signal),
    postReply: (text, inReplyToPostId, signal, mediaIds) => answer({ id: "99", text }, "postReply", text, inReplyToPostId, signal, mediaIds),
    uploadMedia: (file, options) => answer({ mediaId: "m1", expiresAt: undefined }, "uploadMedia", file, options),
    rateLimits: () => {
      calls.push(["rateLimits"]);
      return windows;
    },
  };
  return { client, calls, state, windows };
}

describe("countingSuccesses", () => {
  const signal = new AbortController().signal;
  const file: XMediaFile = { bytes: new Uint8Array([1, 2]), mimeType: "image/png", category: "tweet_image" };
  const runStep: XStepRunner = (step) => step(undefined);

  /** Every method of the client, called with distinct arguments, with what the real client must have received. */
  const everyCall = (wrapped: XAccountClient) =>
    [
      { run: () => wrapped.me(signal), received: ["me", signal] },
      { run: () => wrapped.userByUsername("bob", signal), received: ["userByUsername", "bob", signal] },
      { run: () => wrapped.mentions("11", { sinceId: "5" }, signal), received: ["mentions", "11", { sinceId: "5" }, signal] },
      { run: () => wrapped.userPosts("12", { excludeReplies: true }, signal), received: ["userPosts", "12", { excludeReplies: true }, signal] },
      { run: () => wrapped.searchRecent("from:bob", { maxResults: 10 }, signal), received: ["searchRecent", "from:bob", { maxResults: 10 }, signal] },
      { run: () => wrapped.lookupPosts(["7", "8"], signal), received: ["lookupPosts", ["7", "8"], signal] },
      { run: () => wrapped.getPost("9", signal), received: ["getPost", "9", signal] },
      { run: () => wrapped.postReply("hello", "10", signal, ["m0"]), received: ["postReply", "hello", "10", signal, ["m0"]] },
      { run: () => wrapped.uploadMedia(file, { signal, runStep }), received: ["uploadMedia", file, { signal, runStep }] },
    ] as const;

  it("passes every call through with its arguments and answers what the client answered, counting each success once", async () => {
    const { client, calls } = recordingClient();
    let successes = 0;
    const wrapped = countingSuccesses(client, () => successes++);
    const answers: unknown[] = [];
    for (const [index, call] of everyCall(wrapped).entries()) {
      answers.push(await call.run());
      expect(calls[index]).toEqual(call.received);
      expect(successes).toBe(index + 1);
    }
    expect(answers).toEqual([
      { id: "1", username: "me", name: "Me" },
      { id: "2", username: "bob", name: "U" },
      { posts: [], newestId: "mentions" },
      { posts: [], newestId: "userPosts" },
      { posts: [], newestId: "searchRecent" },
      [],
      undefined,
      { id: "99", text: "hello" },
      { mediaId: "m1", expiresAt: undefined },
    ]);
  });

  it("a refused call rejects as the client did and counts nothing", async () => {
    const { client, calls, state } = recordingClient();
    state.failing = true;
    let successes = 0;
    const wrapped = countingSuccesses(client, () => successes++);
    for (const call of everyCall(wrapped)) await expect(call.run()).rejects.toThrow(`${String(call.received[0])} refused`);
    expect(calls.map(([method]) => method)).toEqual(everyCall(wrapped).map((call) => call.received[0]));
    expect(successes).toBe(0);
  });

  it("reads the client's rate-limit windows without counting them as activity", () => {
    const { client, windows } = recordingClient();
    let successes = 0;
    const wrapped = countingSuccesses(client, () => successes++);
    expect(wrapped.rateLimits()).toBe(windows);
    expect(successes).toBe(0);
  });
});
