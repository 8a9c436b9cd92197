import { describe, expect, it } from "vitest";
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from "openai";
import {
  AiError,
  classifyAiError,
  isProviderFailure,
  retryAfterMsFromHeaders,
  safeDetail,
  shouldTryFallbackModel,
} from "../../src/ai/errors.js";

const apiError = (status: number, body: object, headers: Record<string, string> = {}) =>
  APIError.generate(status, body, undefined, new Headers(headers));

describe("classifyAiError", () => {
  it("maps SDK errors to kinds", () => {
    expect(classifyAiError(new APIUserAbortError())).toMatchObject({ kind: "transient", aborted: true });
    expect(classifyAiError(new APIConnectionTimeoutError())).toMatchObject({ kind: "transient", aborted: false });
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const connection = classifyAiError(new APIConnectionError({ cause: new TypeError("fetch failed", { cause: refused }) }));
    expect(connection.kind).toBe("transient");
    expect(connection.message).toContain("ECONNREFUSED");
    expect(classifyAiError(apiError(500, { error: { message: "boom" } }))).toMatchObject({ kind: "transient", status: 500 });
    expect(classifyAiError(apiError(408, {}))).toMatchObject({ kind: "transient", status: 408 });
    expect(classifyAiError(apiError(422, {}))).toMatchObject({ kind: "permanent", status: 422 });
    expect(classifyAiError(new OpenAIError("stream ended early"))).toMatchObject({ kind: "bad_response" });
    expect(classifyAiError(new DOMException("gone", "AbortError"))).toMatchObject({ kind: "transient", aborted: true });
    expect(classifyAiError(new TypeError("x is not a function"))).toMatchObject({ kind: "permanent" });
    expect(classifyAiError("weird")).toMatchObject({ kind: "permanent" });
    const own = new AiError("bad_response", "mine");
    expect(classifyAiError(own)).toBe(own);
  });

  it("reads retry-after on 429 and 503 and marks model-not-found", () => {
    expect(classifyAiError(apiError(429, { error: { message: "slow down", code: "rate_limit_exceeded" } }, { "retry-after": "2" }))).toMatchObject({
      kind: "rate_limited",
      retryAfterMs: 2_000,
      code: "rate_limit_exceeded",
    });
    expect(classifyAiError(apiError(503, {}, { "retry-after": "1" })).retryAfterMs).toBe(1_000);
    const missing = classifyAiError(apiError(404, { error: { message: "The model 'gpt-9' does not exist" } }), { model: "gpt-9" });
    expect(missing).toMatchObject({ kind: "permanent", modelNotFound: true, model: "gpt-9" });
    expect(shouldTryFallbackModel(missing)).toBe(true);
    expect(shouldTryFallbackModel(classifyAiError(apiError(400, { error: { message: "bad model param" } })))).toBe(false);
    expect(shouldTryFallbackModel(classifyAiError(apiError(400, { error: { message: "x", code: "model_not_found" } })))).toBe(true);
    expect(shouldTryFallbackModel(classifyAiError(new APIUserAbortError()))).toBe(false);
  });

  it("masks secrets and trims provider text to 200 characters", () => {
    const huge = `<html>${"x".repeat(5000)}</html>`;
    const error = classifyAiError(apiError(502, { error: { message: huge } }));
    expect(error.message.length).toBeLessThan(260);
    const leaked = classifyAiError(apiError(401, { error: { message: "key my-own-secret-key and sk-proj-abcdef123456 and Bearer abc.def" } }), {
      secrets: ["my-own-secret-key"],
    });
    expect(leaked.message).not.toMatch(/my-own-secret-key|abcdef123456|abc\.def/);
    expect(safeDetail("a\n\n  b")).toBe("a b");
  });
});

describe("isProviderFailure: the provider cannot be used vs this one request failed", () => {
  it("is true for outages and refusals of our key, quota or model", () => {
    for (const error of [
      classifyAiError(apiError(503, {})),
      classifyAiError(apiError(500, {})),
      classifyAiError(new APIConnectionTimeoutError()),
      classifyAiError(new APIConnectionError({ cause: new Error("ECONNRESET") })),
      classifyAiError(apiError(429, { error: { message: "slow down" } })),
      classifyAiError(apiError(429, { error: { message: "pay up", code: "insufficient_quota" } })),
      classifyAiError(apiError(401, { error: { message: "bad key" } })),
      classifyAiError(apiError(403, { error: { message: "region" } })),
      classifyAiError(apiError(404, { error: { message: "The model 'gpt-9' does not exist" } })),
      new AiError("transient", "AI model gpt-4o-mini is resting: its circuit breaker is open"),
    ]) {
      expect(isProviderFailure(error), error.message).toBe(true);
    }
  });

  it("is false for an unusable answer, a request refused as such and a local error", () => {
    const filtered = classifyAiError(apiError(400, { error: { message: "flagged", code: "content_filter" } }));
    expect(filtered).toMatchObject({ kind: "permanent", answerProblem: "content_filter" });
    for (const error of [
      filtered,
      classifyAiError(apiError(400, { error: { message: "context_length_exceeded" } })),
      classifyAiError(apiError(422, {})),
      classifyAiError(new OpenAIError("stream ended early")),
      new AiError("bad_response", "empty", { answerProblem: "empty" }),
      classifyAiError(new TypeError("x is not a function")),
    ]) {
      expect(isProviderFailure(error), error.message).toBe(false);
    }
  });
});

describe("retryAfterMsFromHeaders", () => {
  it("prefers retry-after-ms, then retry-after (seconds or date), then exhausted x-ratelimit resets", () => {
    expect(retryAfterMsFromHeaders(undefined)).toBeUndefined();
    expect(retryAfterMsFromHeaders(new Headers())).toBeUndefined();
    expect(retryAfterMsFromHeaders(new Headers({ "retry-after-ms": "250.4" }))).toBe(251);
    expect(retryAfterMsFromHeaders(new Headers({ "retry-after": "0.5" }))).toBe(500);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMsFromHeaders(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), now)).toBe(30_000);
    expect(
      retryAfterMsFromHeaders(
        new Headers({
          "x-ratelimit-remaining-requests": "0",
          "x-ratelimit-reset-requests": "6m0s",
          "x-ratelimit-remaining-tokens": "100",
          "x-ratelimit-reset-tokens": "1h",
        }),
      ),
    ).toBe(360_000);
    expect(retryAfterMsFromHeaders(new Headers({ "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1.5s" }))).toBe(1_500);
    expect(retryAfterMsFromHeaders(new Headers({ "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "soon" }))).toBeUndefined();
  });
});
