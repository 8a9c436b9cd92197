/**
 * The two adapters that put a policy around a client: the AI guard (per-model breaker, errors the model
 * chain understands, latency for /health) and the resilient X client (every call under the account policy,
 * the POST never resent once it may have reached X, the caller's abort still honoured).
 */
import { AiError } from "../../src/ai/errors.js";
import { describe, expect, it } from "vitest";
import { AiActivity, createAiGuard } from "../../src/resilience/ai-guard.js";
import type { BreakerStore } from "../../src/resilience/breaker-store.js";
import { ResiliencePolicy, type PolicySettings } from "../../src/resilience/policy.js";
import { ResilienceRegistry } from "../../src/resilience/registry.js";
import { resilientXClient } from "../../src/resilience/resilient-x-client.js";
import { XApiError } from "../../src/x/errors.js";
import type { XAccountClient } from "../../src/x/types.js";
import { silentLogger } from "../support/logger.js";

const SETTINGS: PolicySettings = { timeoutMs: 200, retries: 2, baseDelayMs: 1, maxDelayMs: 1, breakerThreshold: 2, halfOpenAfterMs: 60_000 };
const store: BreakerStore = { loadAll: () => Promise.resolve(new Map()), save: () => Promise.resolve() };
const registry = (settings = SETTINGS) => new ResilienceRegistry({ x: settings, ai: settings, db: settings }, store, silentLogger());
const unreachable = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

describe("AI guard", () => {
  it("runs the call under the model's own policy and records the latency of a success", async () => {
    const reg = registry();
    const activity = new AiActivity();
    const guard = createAiGuard(reg, activity);
    expect(activity.last).toBeUndefined();
    await expect(guard("model-a", () => new Promise((resolve) => setTimeout(() => resolve("draft"), 20)))).resolves.toBe("draft");
    expect(reg.all().map((b) => b.name)).toEqual(["ai:model-a"]);
    expect(activity.last).toMatchObject({ model: "model-a" });
    expect(activity.last!.latencyMs).toBeGreaterThanOrEqual(15);
    expect(activity.last!.at).toBeInstanceOf(Date);
  });

  it("turns an open breaker into a transient AiError naming the model, without calling it", async () => {
    const reg = registry();
    const guard = createAiGuard(reg);
    for (let i = 0; i < 2; i++) await guard("model-a", () => Promise.reject(unreachable())).catch(() => undefined);
    let called = false;
    const error = await guard("model-a", () => {
      called = true;
      return Promise.resolve("never");
    }).catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(AiError);
    expect(error).toMatchObject({ kind: "transient", model: "model-a", message: "AI model model-a is resting: its circuit breaker is open" });
    // Another model has its own breaker.
    await expect(guard("model-b", () => Promise.resolve("fine"))).resolves.toBe("fine");
  });

  it("turns the policy's timeout into a transient AiError", async () => {
    const guard = createAiGuard(registry({ ...SETTINGS, retries: 0, breakerThreshold: 5 }));
    const error = await guard("slow", () => new Promise<string>(() => undefined)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AiError);
    expect(error).toMatchObject({ kind: "transient", model: "slow", message: "AI model slow timed out" });
  });

  it("passes any other failure through as it is, and records no activity", async () => {
    const activity = new AiActivity();
    const guard = createAiGuard(registry(), activity);
    const original = new AiError("permanent", "bad key", { status: 401 });
    await expect(guard("model-a", () => Promise.reject(original))).rejects.toBe(original);
    expect(activity.last).toBeUndefined();
  });
});

describe("resilient X client", () => {
  /** A client whose every method records its arguments and signal, and fails the first `failures` calls. */
  function recordingClient(failures = 0, failure: () => Error = unreachable) {
    const calls: { method: string; args: unknown[]; signal: AbortSignal | undefined }[] = [];
    let left = failures;
    const answer = <T>(method: string, args: unknown[], signal: AbortSignal | undefined, value: T): Promise<T> => {
      calls.push({ method, args, signal });
      if (left > 0) {
        left -= 1;
        return Promise.reject(failure());
      }
      return Promise.resolve(value);
    };
    const page = { posts: [], users: [], newestId: undefined, nextToken: undefined };
    const client = {
      me: (signal?: AbortSignal) => answer("me", [], signal, { id: "1", username: "replyguy", name: "Reply Guy" }),
      userByUsername: (username: string, signal?: AbortSignal) => answer("userByUsername", [username], signal, undefined),
      mentions: (userId: string, opts: unknown, signal?: AbortSignal) => answer("mentions", [userId, opts], signal, page),
      userPosts: (userId: string, opts: unknown, signal?: AbortSignal) => answer("userPosts", [userId, opts], signal, page),
      searchRecent: (query: string, opts: unknown, signal?: AbortSignal) => answer("searchRecent", [query, opts], signal, page),
      lookupPosts: (ids: string[], signal?: AbortSignal) => answer("lookupPosts", [ids], signal, []),
      postReply: (text: string, inReplyTo: string, signal?: AbortSignal) => answer("postReply", [text, inReplyTo], signal, { id: "9", text }),
      rateLimits: () => new Map([["POST /2/tweets", { limit: 100, remaining: 99, resetAt: new Date(0) }]]),
    } as unknown as XAccountClient;
    return { client, calls };
  }
  const policy = (settings: Partial<PolicySettings> = {}) =>
    new ResiliencePolicy("x:main", { ...SETTINGS, breakerThreshold: 10, ...settings }, { onStateChange: () => undefined });

  it("passes every call and its arguments through, each with a signal", async () => {
    const { client, calls } = recordingClient();
    const x = resilientXClient(client, policy());
    await x.me();
    await x.userByUsername("alice");
    await x.mentions("1", { sinceId: "5" });
    await x.userPosts("1", { sinceId: "6" });
    await x.searchRecent("q", { sinceId: "7" });
    await x.lookupPosts(["8"]);
    await expect(x.postReply("hi", "10")).resolves.toEqual({ id: "9", text: "hi" });
    expect(calls.map((c) => [c.method, ...c.args])).toEqual([
      ["me"],
      ["userByUsername", "alice"],
      ["mentions", "1", { sinceId: "5" }],
      ["userPosts", "1", { sinceId: "6" }],
      ["searchRecent", "q", { sinceId: "7" }],
      ["lookupPosts", ["8"]],
      ["postReply", "hi", "10"],
    ]);
    for (const call of calls) expect(call.signal).toBeInstanceOf(AbortSignal);
    expect(x.rateLimits().get("POST /2/tweets")?.remaining).toBe(99);
  });

  it.each(["userByUsername", "mentions", "userPosts", "searchRecent", "lookupPosts"] as const)("retries a read (%s) after a transient failure", async (method) => {
    const { client, calls } = recordingClient(2);
    const x = resilientXClient(client, policy());
    const invoke: Record<typeof method, () => Promise<unknown>> = {
      userByUsername: () => x.userByUsername("alice"),
      mentions: () => x.mentions("1", {}),
      userPosts: () => x.userPosts("1", {}),
      searchRecent: () => x.searchRecent("q", {}),
      lookupPosts: () => x.lookupPosts(["1"]),
    };
    await invoke[method]();
    expect(calls).toHaveLength(3);
  });

  it("never resends a POST that may have reached X", async () => {
    const maybeSent = () =>
      new XApiError({ message: "socket hang up", kind: "transient", reason: "network", status: undefined, resetAt: undefined, mayHaveSucceeded: true, method: "POST", endpoint: "/2/tweets" });
    const { client, calls } = recordingClient(1, maybeSent);
    await expect(resilientXClient(client, policy()).postReply("hi", "10")).rejects.toBeInstanceOf(XApiError);
    expect(calls).toHaveLength(1);
  });

  it("aborts the call when the caller's signal aborts, long before the policy's timeout", async () => {
    let seen: AbortSignal | undefined;
    const client = {
      mentions: (_userId: string, _opts: unknown, signal?: AbortSignal) =>
        new Promise((_resolve, reject) => {
          seen = signal;
          signal?.addEventListener("abort", () => reject(new Error("aborted by the caller")));
        }),
    } as unknown as XAccountClient;
    const caller = new AbortController();
    const pending = resilientXClient(client, policy({ timeoutMs: 30_000, retries: 0 })).mentions("1", {}, caller.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen?.aborted).toBe(false);
    caller.abort();
    const outcome = await Promise.race([
      pending.then(() => "resolved", () => "rejected"),
      new Promise((resolve) => setTimeout(() => resolve("still running"), 2_000)),
    ]);
    expect(outcome).toBe("rejected");
  });
});
