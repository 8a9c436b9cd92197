/**
 * The details a classified failure carries (reason words, messages, reset times), the driver codes that mean
 * "the database is down", the policy names, the timeout slack and the small wrappers around the policy.
 */
import { BrokenCircuitError, TaskCancelledError } from "cockatiel";
import { describe, expect, it } from "vitest";
import { AiError } from "../../src/ai/errors.js";
import { loadConfig } from "../../src/config.js";
import { AiActivity, createAiGuard } from "../../src/resilience/ai-guard.js";
import { TimeoutError, withTimeout } from "../../src/resilience/deadline.js";
import { classifyFailure, isDatabaseUnavailable } from "../../src/resilience/failure.js";
import { aiPolicyName, xPolicyName } from "../../src/resilience/policy-names.js";
import { ResilienceRegistry } from "../../src/resilience/registry.js";
import { resilientXClient } from "../../src/resilience/resilient-x-client.js";
import { policySettingsFromConfig } from "../../src/resilience/settings.js";
import type { XAccountClient } from "../../src/x/types.js";
import { MINIMAL_ENV } from "../support/config-env.js";
import { capturingLogger, silentLogger } from "../support/logger.js";

const noStore = { loadAll: () => Promise.resolve(new Map<string, unknown>()), save: () => Promise.resolve() };
const FAST = { timeoutMs: 2_000, retries: 1, baseDelayMs: 1, maxDelayMs: 2, breakerThreshold: 1, halfOpenAfterMs: 60_000 };

describe("what a classified failure carries", () => {
  it.each([
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EPIPE",
    "ENOTFOUND",
    "EAI_AGAIN",
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
    "CONNECT_TIMEOUT",
    "57P01",
    "57P02",
    "57P03",
    "08001",
  ])("driver code %s means the database is unavailable", (code) => {
    const error = Object.assign(new Error(`driver: ${code}`), { code });
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(classifyFailure(error)).toMatchObject({ kind: "transient", reason: "database_unavailable" });
  });

  it.each(["23505", "42P01", "", "ECONN"])("driver code %j is a query problem, not an outage", (code) => {
    expect(isDatabaseUnavailable(Object.assign(new Error("driver"), { code }))).toBe(false);
  });

  it("an open circuit and a policy timeout are named", () => {
    expect(classifyFailure(new BrokenCircuitError())).toMatchObject({
      kind: "transient",
      reason: "circuit_open",
      message: "circuit breaker open: the dependency is resting",
    });
    expect(classifyFailure(new TaskCancelledError())).toMatchObject({ reason: "timeout", message: "timed out", mayHaveSucceeded: true });
  });

  it("AI errors: bad_response keeps its name, others are ai_<kind>; a retry-after becomes a reset time", () => {
    const before = Date.now();
    const limited = classifyFailure(new AiError("rate_limited", "AI 429", { retryAfterMs: 60_000 }));
    expect(limited.reason).toBe("ai_rate_limited");
    expect(limited.message).toBe("AI 429");
    expect(limited.retryAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(limited.retryAt!.getTime()).toBeLessThan(before + 70_000);
    expect(classifyFailure(new AiError("transient", "AI 503"))).toMatchObject({ reason: "ai_transient", retryAt: undefined });
    expect(classifyFailure(new AiError("bad_response", "not JSON"))).toMatchObject({ kind: "permanent", reason: "bad_response" });
  });
});

describe("names and settings of the policies", () => {
  it("policy names are the dependency kind and the instance", () => {
    expect(xPolicyName("main")).toBe("x:main");
    expect(aiPolicyName("gpt-4o-mini")).toBe("ai:gpt-4o-mini");
  });

  it("the X and AI policies time out 1 s after their clients; the database policy has no timeout", () => {
    const config = loadConfig({ ...MINIMAL_ENV, X_REQUEST_TIMEOUT_MS: "7000", AI_REQUEST_TIMEOUT_MS: "9000" });
    const settings = policySettingsFromConfig(config);
    expect(settings.x.timeoutMs).toBe(config.resilience.xRequestTimeoutMs + 1_000);
    expect(settings.ai.timeoutMs).toBe(config.resilience.aiRequestTimeoutMs + 1_000);
    expect(settings.db.timeoutMs).toBe(0);
  });

  it("a timed-out wait names what hung", async () => {
    const error = await withTimeout(new Promise(() => undefined), 5, "sendMessage").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).name).toBe("TimeoutError");
    expect((error as TimeoutError).message).toBe("sendMessage did not answer within 5 ms");
  });
});

describe("wrappers around a policy", () => {
  it("each retry is logged at debug with the breaker's name", async () => {
    const { logger, lines } = capturingLogger();
    const registry = new ResilienceRegistry({ x: FAST, ai: FAST, db: FAST }, noStore, logger);
    const failing = () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    await registry.policy("x:main", "x").execute(failing).catch(() => undefined);
    const retry = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === "retrying");
    expect(retry).toMatchObject({ breaker: "x:main", attempt: 1 });
  });

  it("getPost goes through the account's policy: while its breaker is open, nothing reaches X", async () => {
    const registry = new ResilienceRegistry({ x: FAST, ai: FAST, db: FAST }, noStore, silentLogger());
    const policy = registry.policy("x:main", "x");
    let reached = 0;
    const raw = {
      getPost: () => {
        reached++;
        return Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
      },
    } as unknown as XAccountClient;
    const client = resilientXClient(raw, policy);
    await client.getPost("1").catch(() => undefined);
    expect(policy.state).toBe("open");
    const callsWhenOpened = reached;
    await expect(client.getPost("1")).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(reached).toBe(callsWhenOpened);
  });

  it("the AI guard records the latency of a successful call (a duration, not a clock reading)", async () => {
    const registry = new ResilienceRegistry({ x: FAST, ai: FAST, db: FAST }, noStore, silentLogger());
    const activity = new AiActivity();
    const guard = createAiGuard(registry, activity);
    await guard("model-a", () => new Promise((resolve) => setTimeout(() => resolve("ok"), 5)));
    expect(activity.last?.model).toBe("model-a");
    expect(activity.last!.latencyMs).toBeGreaterThanOrEqual(4);
    expect(activity.last!.latencyMs).toBeLessThan(performance.now());
  });
});
