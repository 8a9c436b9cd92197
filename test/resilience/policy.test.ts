import { BrokenCircuitError } from "cockatiel";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { BreakerStore } from "../../src/resilience/breaker-store.js";
import type { PolicySettings } from "../../src/resilience/policy.js";
import { ResilienceRegistry, type DependencyKind } from "../../src/resilience/registry.js";
import { resilientXClient } from "../../src/resilience/resilient-x-client.js";
import { XApiError } from "../../src/x/errors.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient } from "../../src/x/types.js";
import { startFakeX, type FakeX } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";

const SETTINGS: PolicySettings = {
  timeoutMs: 5_000,
  retries: 2,
  baseDelayMs: 1,
  maxDelayMs: 5,
  breakerThreshold: 5,
  halfOpenAfterMs: 120_000,
};
const ALL_SETTINGS: Record<DependencyKind, PolicySettings> = { x: SETTINGS, ai: SETTINGS, db: SETTINGS };

function memoryStore(): BreakerStore & { states: Map<string, unknown> } {
  const states = new Map<string, unknown>();
  return {
    states,
    loadAll: () => Promise.resolve(new Map(states)),
    save: (name, state) => {
      states.set(name, JSON.parse(JSON.stringify(state)) as unknown);
      return Promise.resolve();
    },
  };
}

describe("resilience policy around an X account", () => {
  let x: FakeX;
  let store: ReturnType<typeof memoryStore>;
  let registry: ResilienceRegistry;
  let client: XAccountClient;
  const transitions: string[] = [];

  const build = async () => {
    registry = new ResilienceRegistry(ALL_SETTINGS, store, silentLogger());
    await registry.restore();
    registry.onChange(({ name, state }) => transitions.push(`${name}:${state}`));
    const raw = createXAccountClient({
      apiRoot: x.baseUrl,
      credentials: { appKey: "k", appSecret: "s", accessToken: "tok-main", accessSecret: "secret" },
      requestTimeoutMs: 2_000,
    });
    client = resilientXClient(raw, registry.policy("x:main", "x"));
  };
  const requestsToX = () => x.requests().length;

  beforeAll(async () => {
    x = await startFakeX();
  });
  beforeEach(async () => {
    x.reset();
    x.addUser({ id: "1", username: "replyguy", accessToken: "tok-main" });
    x.addUser({ id: "2", username: "alice" });
    store = memoryStore();
    transitions.length = 0;
    await build();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await x.close();
  });

  it("a 503 storm opens the breaker after exactly the threshold, then nothing reaches X", async () => {
    x.setDown(503);
    await expect(client.me()).rejects.toBeInstanceOf(XApiError);
    expect(requestsToX()).toBe(3);
    await expect(client.me()).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(requestsToX()).toBe(5);
    for (let i = 0; i < 5; i++) await expect(client.me()).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(requestsToX()).toBe(5);
    expect(registry.all()).toEqual([expect.objectContaining({ name: "x:main", state: "open" })]);
    expect(transitions).toEqual(["x:main:open"]);
  });

  it("lets one probe through after the half-open delay and closes when it succeeds", async () => {
    x.setDown(503);
    await client.me().catch(() => undefined);
    await client.me().catch(() => undefined);
    expect(registry.all()[0]?.state).toBe("open");
    x.setDown(null);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + SETTINGS.halfOpenAfterMs + 1_000 });
    await expect(client.me()).resolves.toMatchObject({ username: "replyguy" });
    expect(transitions).toEqual(["x:main:open", "x:main:half_open", "x:main:closed"]);
    expect(requestsToX()).toBe(6);
  });

  it("a failed probe opens the breaker again", async () => {
    x.setDown(503);
    await client.me().catch(() => undefined);
    await client.me().catch(() => undefined);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + SETTINGS.halfOpenAfterMs + 1_000 });
    await expect(client.me()).rejects.toBeDefined();
    expect(transitions).toEqual(["x:main:open", "x:main:half_open", "x:main:open"]);
    expect(requestsToX()).toBe(6);
  });

  it("downSince keeps the first opening across failed probes and is cleared when the breaker closes", async () => {
    const policy = registry.policy("x:main", "x");
    expect(policy.downSince).toBeUndefined();
    x.setDown(503);
    await client.me().catch(() => undefined);
    await client.me().catch(() => undefined);
    const firstOpening = policy.downSince;
    expect(firstOpening).toBeInstanceOf(Date);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + SETTINGS.halfOpenAfterMs + 1_000 });
    await client.me().catch(() => undefined);
    expect(transitions).toEqual(["x:main:open", "x:main:half_open", "x:main:open"]);
    // Opened again by the failed probe: openSince moved, downSince did not.
    expect(policy.openSince!.getTime()).toBeGreaterThan(firstOpening!.getTime());
    expect(policy.downSince).toEqual(firstOpening);
    x.setDown(null);
    vi.setSystemTime(Date.now() + SETTINGS.halfOpenAfterMs + 1_000);
    await client.me();
    expect(policy.downSince).toBeUndefined();
  });

  it("429s are not retried and never count as breaker failures", async () => {
    x.enqueueFault({ path: "/2/users/me" }, { kind: "rateLimited", resetInSeconds: 60 }, 10);
    for (let i = 0; i < 10; i++) {
      const error = await client.me().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(XApiError);
      expect((error as XApiError).kind).toBe("rate_limited");
      expect((error as XApiError).resetAt?.getTime()).toBeGreaterThan(Date.now());
    }
    expect(requestsToX()).toBe(10);
    expect(registry.all()[0]?.state).toBe("closed");
  });

  it.each([
    ["duplicate content", { kind: "status" as const, status: 403, body: { title: "Forbidden", detail: "You are not allowed to create a Tweet with duplicate content.", type: "about:blank", status: 403 } }],
    ["bad request", { kind: "status" as const, status: 400, body: { title: "Invalid Request", detail: "bad", type: "about:blank", status: 400 } }],
    ["unauthorized", { kind: "status" as const, status: 401, body: { title: "Unauthorized", detail: "Unauthorized", type: "about:blank", status: 401 } }],
  ])("a permanent error (%s) is not retried and not counted", async (_name, fault) => {
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, fault, 10);
    const post = x.addTweet({ authorId: "2", text: "@replyguy hi" });
    for (let i = 0; i < 6; i++) {
      const error = await client.postReply(`hello ${i}`, post.id).catch((e: unknown) => e);
      expect((error as XApiError).kind).toBe("permanent");
    }
    expect(x.requests({ method: "POST", path: "/2/tweets" })).toHaveLength(6);
    expect(registry.all()[0]?.state).toBe("closed");
  });

  it("never resends a POST that may have reached X, but retries reads", async () => {
    const post = x.addTweet({ authorId: "2", text: "@replyguy hello" });
    x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDrop" });
    await expect(client.postReply("only once", post.id)).rejects.toMatchObject({ mayHaveSucceeded: true });
    expect(x.requests({ method: "POST", path: "/2/tweets" })).toHaveLength(1);
    expect(x.repliesTo(post.id)).toHaveLength(1);

    x.enqueueFault({ path: "/2/users/me" }, { kind: "status", status: 503 }, 2);
    await expect(client.me()).resolves.toMatchObject({ id: "1" });
    expect(x.requests({ path: "/2/users/me" })).toHaveLength(3);
  });

  it("keeps an open breaker open across a restart, until an admin resets it", async () => {
    x.setDown(503);
    await client.me().catch(() => undefined);
    await client.me().catch(() => undefined);
    expect(store.states.has("x:main")).toBe(true);
    x.setDown(null);
    await build();
    const before = requestsToX();
    await expect(client.me()).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(requestsToX()).toBe(before);
    expect(registry.all()[0]?.state).toBe("open");

    expect(registry.reset("x:main")).toBe(true);
    expect(registry.reset("x:nope")).toBe(false);
    await expect(client.me()).resolves.toMatchObject({ id: "1" });
    expect(registry.all()[0]?.state).toBe("closed");
  });
});
