/**
 * One policy's breaker bookkeeping, on a clock the test moves: when a call may be tried, since when the breaker
 * has been open or down, what a reset and a restore do, how retries are paced and reported, and the no-timeout
 * setting the database policy uses.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ResiliencePolicy, type BreakerState, type PolicySettings } from "../../src/resilience/policy.js";
import { XApiError } from "../../src/x/errors.js";

const SETTINGS: PolicySettings = { timeoutMs: 5_000, retries: 2, baseDelayMs: 1, maxDelayMs: 4, breakerThreshold: 2, halfOpenAfterMs: 60_000 };
const T0 = new Date("2026-11-30T12:00:00Z");

const unreachable = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

function policyWith(settings: Partial<PolicySettings> = {}, initialState?: unknown) {
  const changes: Array<{ state: BreakerState; snapshot: unknown }> = [];
  const retries: Array<{ attempt: number; delay: number }> = [];
  const policy = new ResiliencePolicy(
    "x:test",
    { ...SETTINGS, ...settings },
    {
      onStateChange: (_name, state, snapshot) => changes.push({ state, snapshot }),
      onRetry: (_name, attempt, delay) => retries.push({ attempt, delay }),
    },
    initialState,
  );
  return { policy, changes, retries };
}

async function fail(policy: ResiliencePolicy, error: () => Error = unreachable): Promise<void> {
  await policy.execute(() => Promise.reject(error())).catch(() => undefined);
}

async function open(policy: ResiliencePolicy): Promise<void> {
  for (let i = 0; i < 5 && policy.state !== "open"; i++) await fail(policy);
  expect(policy.state).toBe("open");
}

describe("a resilience policy's breaker over time", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is available while closed; open, not before the half-open delay, and again from exactly that moment", async () => {
    const { policy } = policyWith({ retries: 0 });
    expect(policy.state).toBe("closed");
    expect(policy.isAvailable()).toBe(true);
    await open(policy);
    const opened = policy.openSince!.getTime();
    expect(opened).toBe(T0.getTime());
    expect(policy.isAvailable(opened + 59_999)).toBe(false);
    expect(policy.isAvailable(opened + 60_000)).toBe(true);
    expect(policy.isAvailable(opened + 120_000)).toBe(true);
  });

  it("openSince and downSince: set on opening, kept by a failed probe (downSince) and cleared when a probe closes it", async () => {
    const { policy } = policyWith({ retries: 0 });
    expect(policy.openSince).toBeUndefined();
    expect(policy.downSince).toBeUndefined();
    await open(policy);
    expect(policy.downSince).toEqual(T0);

    vi.setSystemTime(T0.getTime() + 61_000);
    await fail(policy);
    expect(policy.state).toBe("open");
    expect(policy.openSince).toEqual(new Date(T0.getTime() + 61_000));
    expect(policy.downSince).toEqual(T0);

    vi.setSystemTime(T0.getTime() + 200_000);
    await expect(policy.execute(() => Promise.resolve("ok"))).resolves.toBe("ok");
    expect(policy.state).toBe("closed");
    expect(policy.openSince).toBeUndefined();
    expect(policy.downSince).toBeUndefined();
    expect(policy.isAvailable()).toBe(true);
  });

  it("downSince is kept while a probe is in flight (half-open)", async () => {
    const { policy } = policyWith({ retries: 0 });
    await open(policy);
    vi.setSystemTime(T0.getTime() + 61_000);
    let finish!: () => void;
    const probe = policy.execute(() => new Promise<void>((resolve) => (finish = resolve)));
    expect(policy.state).toBe("half_open");
    expect(policy.downSince).toEqual(T0);
    expect(policy.openSince).toEqual(T0);
    finish();
    await probe;
    expect(policy.downSince).toBeUndefined();
  });

  it("a breaker restored open (no known opening time) lets one call through to probe, and keeps its saved downSince", async () => {
    const { policy: first } = policyWith({ retries: 0 });
    await open(first);
    const saved = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    vi.setSystemTime(T0.getTime() + 1_000);
    const { policy } = policyWith({ retries: 0 }, saved);
    expect(policy.state).toBe("open");
    expect(policy.openSince).toBeUndefined();
    expect(policy.isAvailable()).toBe(true);
    expect(policy.downSince).toEqual(T0);
  });

  it("a state saved before downSince was recorded falls back to cockatiel's opening time; none known, none shown", async () => {
    const { policy: first } = policyWith({ retries: 0 });
    await open(first);
    const { downSince: _dropped, ...older } = JSON.parse(JSON.stringify(first.snapshot())) as { downSince?: number; ownState: { openedAt: number } };
    expect(policyWith({}, older).policy.downSince).toEqual(T0);
    expect(policyWith({}, { ...older, ownState: { ...older.ownState, openedAt: 0 } }).policy.downSince).toBeUndefined();
    expect(policyWith({}, { ...older, downSince: "yesterday" }).policy.downSince).toEqual(T0);
  });

  it("an isolated breaker is never available and is not 'down since' anything", () => {
    const { policy } = policyWith({}, { ownState: { value: 3, counters: 1 }, breakerState: 0 });
    expect(policy.state).toBe("isolated");
    expect(policy.isAvailable()).toBe(false);
    expect(policy.downSince).toBeUndefined();
  });

  it("reset closes an open breaker and reports it once; resetting a closed one reports nothing", async () => {
    const { policy, changes } = policyWith({ retries: 0 });
    await open(policy);
    changes.length = 0;
    policy.reset();
    expect(policy.state).toBe("closed");
    expect(policy.openSince).toBeUndefined();
    expect(policy.downSince).toBeUndefined();
    expect(changes.map((change) => change.state)).toEqual(["closed"]);
    policy.reset();
    expect(changes).toHaveLength(1);
  });

  it("each state change is reported with a snapshot that carries downSince", async () => {
    const { policy, changes } = policyWith({ retries: 0 });
    await open(policy);
    expect(changes.map((change) => change.state)).toEqual(["open"]);
    expect(changes[0]!.snapshot).toMatchObject({ downSince: T0.getTime() });
  });
});

describe("a resilience policy's retries", () => {
  it("retries a transient failure `retries` times, each delay within maxDelayMs, and reports each retry", async () => {
    const { policy, retries } = policyWith({ breakerThreshold: 10 });
    let calls = 0;
    await fail(policy, () => {
      calls++;
      return unreachable();
    });
    expect(calls).toBe(3);
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2]);
    for (const { delay } of retries) expect(delay).toBeLessThanOrEqual(SETTINGS.maxDelayMs);
  });

  it("a call is idempotent unless told otherwise: a write that may have reached the peer is not resent", async () => {
    const { policy } = policyWith({ breakerThreshold: 10 });
    const maybeSent = () => new XApiError({
        kind: "transient",
        reason: "timeout",
        message: "timed out",
        status: undefined,
        resetAt: undefined,
        mayHaveSucceeded: true,
        method: "POST",
        endpoint: "/2/tweets",
      });
    let reads = 0;
    await fail(policy, () => {
      reads++;
      return maybeSent();
    });
    let writes = 0;
    await policy
      .execute(
        () => {
          writes++;
          return Promise.reject(maybeSent());
        },
        { idempotent: false },
      )
      .catch(() => undefined);
    expect(reads).toBe(3);
    expect(writes).toBe(1);
  });

  it("timeoutMs 0 means no timeout at all (the database policy): slow work still finishes", async () => {
    const { policy } = policyWith({ timeoutMs: 0 });
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve("done"), 30));
    await expect(policy.execute(slow)).resolves.toBe("done");
  });

  it("a timeout cuts work that takes longer than timeoutMs", async () => {
    const { policy } = policyWith({ timeoutMs: 10, retries: 0 });
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve("done"), 200));
    await expect(policy.execute(slow)).rejects.toThrow();
  });
});
