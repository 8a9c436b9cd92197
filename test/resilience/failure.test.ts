import { BrokenCircuitError, TaskCancelledError } from "cockatiel";
import { describe, expect, it } from "vitest";
import { AiError } from "../../src/ai/errors.js";
import { classifyFailure, countsAgainstBreaker, isDatabaseUnavailable, isRetryable } from "../../src/resilience/failure.js";
import { XApiError } from "../../src/x/errors.js";

const xError = (kind: XApiError["kind"], reason: XApiError["reason"], mayHaveSucceeded = false, status?: number) =>
  new XApiError({ message: `X ${reason}`, kind, reason, status, resetAt: undefined, mayHaveSucceeded, method: "POST", endpoint: "/2/tweets" });

const withCode = (code: string) => Object.assign(new Error(`driver: ${code}`), { code });

describe("failure classification (one place for X, AI and the database)", () => {
  it.each([
    ["X network error", xError("transient", "network"), "transient", true, true],
    ["X 5xx on a read", xError("transient", "server_error", false, 503), "transient", true, true],
    ["X timeout on a POST", xError("transient", "timeout", true), "transient", false, true],
    ["X 429", xError("rate_limited", "rate_limited", false, 429), "rate_limited", false, false],
    ["X duplicate content", xError("permanent", "duplicate_content", false, 403), "permanent", false, false],
    ["X not summoned", xError("permanent", "not_summoned", false, 403), "permanent", false, false],
    ["X deleted post", xError("permanent", "deleted_post", false, 403), "permanent", false, false],
    ["X reply restricted", xError("permanent", "reply_restricted", false, 403), "permanent", false, false],
    ["X 401", xError("permanent", "unauthorized", false, 401), "permanent", false, false],
    ["X aborted by shutdown", xError("transient", "aborted"), "transient", false, false],
    ["AI 503", new AiError("transient", "AI 503", { status: 503 }), "transient", true, true],
    ["AI 429", new AiError("rate_limited", "AI 429", { status: 429, retryAfterMs: 2_000 }), "rate_limited", false, false],
    ["AI 400", new AiError("permanent", "AI 400", { status: 400 }), "permanent", false, false],
    ["AI bad answer", new AiError("bad_response", "not JSON"), "permanent", false, false],
    ["database refused", withCode("ECONNREFUSED"), "transient", true, true],
    ["database terminated (57P01)", withCode("57P01"), "transient", true, true],
    ["database connection class 08", withCode("08006"), "transient", true, true],
    ["SQL error", withCode("23505"), "permanent", false, false],
    ["a bug", new TypeError("x is undefined"), "permanent", false, false],
  ] as const)("%s → %s (retry of a non-idempotent call: %s, breaker: %s)", (_name, error, kind, retried, counted) => {
    expect(classifyFailure(error).kind).toBe(kind);
    expect(isRetryable(error, false)).toBe(retried);
    expect(countsAgainstBreaker(error)).toBe(counted);
  });

  it("never retries an open circuit and does not count it", () => {
    const error = new BrokenCircuitError();
    expect(classifyFailure(error).reason).toBe("circuit_open");
    expect(isRetryable(error, true)).toBe(false);
    expect(countsAgainstBreaker(error)).toBe(false);
  });

  it("retries a timed-out read but not a timed-out write", () => {
    const error = new TaskCancelledError();
    expect(classifyFailure(error)).toMatchObject({ kind: "transient", reason: "timeout", mayHaveSucceeded: true });
    expect(isRetryable(error, true)).toBe(true);
    expect(isRetryable(error, false)).toBe(false);
    expect(countsAgainstBreaker(error)).toBe(true);
  });

  it("finds a connection error wrapped by drizzle as the cause", () => {
    const wrapped = Object.assign(new Error("Failed query: select 1"), { cause: withCode("CONNECTION_CLOSED") });
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
    expect(classifyFailure(wrapped).reason).toBe("database_unavailable");
  });

  it("carries the rate-limit reset time", () => {
    const resetAt = new Date(Date.now() + 60_000);
    const error = new XApiError({ message: "429", kind: "rate_limited", reason: "rate_limited", status: 429, resetAt, mayHaveSucceeded: false, method: "GET", endpoint: "/2/users/me" });
    expect(classifyFailure(error).retryAt).toEqual(resetAt);
    expect(classifyFailure(new AiError("rate_limited", "429", { retryAfterMs: 5_000 })).retryAt!.getTime()).toBeGreaterThan(Date.now());
  });
});
