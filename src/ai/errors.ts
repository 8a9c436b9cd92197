/**
 * The one place that turns whatever the `openai` SDK (or anything under it) throws into an {@link AiError} with a
 * retry-relevant `kind`. Messages are safe to log: secrets are masked, provider bodies trimmed to 200 characters,
 * and the SDK error is deliberately NOT kept as `cause` (loggers print causes; bodies may echo request data).
 */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from "openai";
import { errorChain, errorCode } from "../kit/error-chain.js";
import { redactSecrets } from "../logger.js";
import { clip } from "../text/clip.js";

/**
 * How a failure should be treated by the caller:
 * - `transient`: network error, timeout, 408/409/5xx, or an abort — the same request may succeed later;
 * - `rate_limited`: 429 (see `retryAfterMs`);
 * - `permanent`: 400/401/403/404/422…, an exhausted quota, or an unexpected local error — do not retry as is;
 * - `bad_response`: the API answered but the answer is unusable (empty, refused, not the requested JSON).
 */
export type AiErrorKind = "transient" | "rate_limited" | "permanent" | "bad_response";

/** What was wrong with an answer the provider did give: nothing to reply with, a refusal, a filtered answer, not the JSON asked for. */
/** What was wrong with an answer that came back; `new_link` / `new_mention`: refused by the reply guard. */
export type AiAnswerProblem = "empty" | "refused" | "content_filter" | "unparseable" | "new_link" | "new_mention";

/** Optional facts attached to an {@link AiError}. */
export interface AiErrorDetails {
  /** HTTP status of the provider's answer, if there was one. */
  status?: number;
  /** How long the provider asked us to wait (retry-after-ms / retry-after / x-ratelimit-reset-*), in ms; uncapped. */
  retryAfterMs?: number;
  /** The provider's error code ("model_not_found", "insufficient_quota"…), or the reply guard's (reply-guard.ts). */
  code?: string;
  /** The model the failed request was for. */
  model?: string;
  /** True when the caller's AbortSignal ended the request (kind is then `transient`: nothing is known to be wrong). */
  aborted?: boolean;
  /** True when the provider said the requested model does not exist or is not available to this key. */
  modelNotFound?: boolean;
  /** For `bad_response` (and a 400 from the content filter): what was wrong with the answer. */
  answerProblem?: AiAnswerProblem;
}

/** A classified, log-safe failure of an AI request. */
export class AiError extends Error {
  /** How to treat the failure; see {@link AiErrorKind}. */
  readonly kind: AiErrorKind;
  /** HTTP status, when the provider answered. */
  readonly status?: number;
  /** Provider-requested wait before retrying, in ms (uncapped: the caller decides the ceiling). */
  readonly retryAfterMs?: number;
  /** Provider error code, when given. */
  readonly code?: string;
  /** Model the request was for, when known. */
  readonly model?: string;
  /** True when the caller aborted the request; callers should not retry an aborted request. */
  readonly aborted: boolean;
  /** True when the provider said the model does not exist / is unavailable (another model may work). */
  readonly modelNotFound: boolean;
  /** What was wrong with the answer, when the provider answered with something unusable. */
  readonly answerProblem?: AiAnswerProblem;

  /** Creates an error; `message` must already be safe to log. */
  constructor(kind: AiErrorKind, message: string, details: AiErrorDetails = {}) {
    super(message);
    this.name = "AiError";
    this.kind = kind;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.code !== undefined) this.code = details.code;
    if (details.model !== undefined) this.model = details.model;
    this.aborted = details.aborted ?? false;
    this.modelNotFound = details.modelNotFound ?? false;
    if (details.answerProblem !== undefined) this.answerProblem = details.answerProblem;
  }
}

/** Options for {@link classifyAiError}. */
export interface ClassifyOptions {
  /** Values to mask in messages (pass the API key). `sk-…` keys and Bearer tokens are masked regardless. */
  secrets?: readonly string[];
  /** Model the failed request was for. */
  model?: string;
}

const MAX_DETAIL_CHARS = 200;

/** Masks secrets, collapses whitespace and trims provider-supplied text to {@link MAX_DETAIL_CHARS}. */
export function safeDetail(text: string, secrets: readonly string[] = []): string {
  const masked = redactSecrets(text, secrets)
    .replace(/\bsk-[A-Za-z0-9_*-]{6,}/g, "sk-[REDACTED]")
    .replace(/\bBearer\s+\S+/gi, "Bearer [REDACTED]")
    .replace(/\s+/g, " ")
    .trim();
  return clip(masked, MAX_DETAIL_CHARS);
}

/** Parses a Go-style duration as OpenAI sends in x-ratelimit-reset-* ("1s", "6m0s", "250ms", "1h2m3.5s"). */
function parseResetDuration(value: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = "";
  for (const match of value.trim().matchAll(re)) {
    const amount = Number(match[1]);
    const unit = match[2];
    total += amount * (unit === "h" ? 3_600_000 : unit === "m" ? 60_000 : unit === "s" ? 1_000 : 1);
    consumed += match[0];
  }
  return consumed.length > 0 && consumed === value.trim() ? Math.ceil(total) : undefined;
}

/**
 * Milliseconds the provider asks us to wait, from `retry-after-ms`, `retry-after` (seconds or HTTP date), or else
 * the `x-ratelimit-reset-{requests,tokens}` of each exhausted (`remaining: 0`) limit. Undefined when none is usable.
 */
export function retryAfterMsFromHeaders(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+(?:\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  let reset: number | undefined;
  for (const dimension of ["requests", "tokens"] as const) {
    if (headers.get(`x-ratelimit-remaining-${dimension}`)?.trim() !== "0") continue;
    const value = parseResetDuration(headers.get(`x-ratelimit-reset-${dimension}`) ?? "");
    if (value !== undefined) reset = Math.max(reset ?? 0, value);
  }
  return reset;
}

function causeSummary(error: Error): string {
  const parts: string[] = [];
  for (const link of errorChain(error.cause, 4)) {
    if (!(link instanceof Error)) break;
    const code = errorCode(link);
    parts.push(code === undefined ? link.message : `${code}: ${link.message}`);
  }
  return parts.join(" <- ");
}

/** `instanceof APIError` without the `any` type arguments that `instanceof` infers for the generic class. */
function isApiError(error: unknown): error is APIError {
  return error instanceof APIError;
}

function fromApiError(error: APIError, secrets: readonly string[], model: string | undefined): AiError {
  const status = error.status;
  const code = typeof error.code === "string" ? error.code : undefined;
  const detail = safeDetail(error.message.replace(/^\d{3}\s+/, ""), secrets);
  const label = `AI API ${status ?? "error"}${code ? ` (${code})` : ""}${model ? ` for model ${model}` : ""}: ${detail}`;
  const modelNotFound = code === "model_not_found" || (status === 404 && /\bmodel\b/i.test(detail));
  const base: AiErrorDetails = { model, modelNotFound };
  if (status !== undefined) base.status = status;
  if (code !== undefined) base.code = code;
  if (status === undefined) return new AiError("transient", label, base);
  if (status === 429) {
    // An exhausted quota/billing limit is answered with 429 too, but waiting does not fix it.
    if (code === "insufficient_quota") return new AiError("permanent", label, base);
    return new AiError("rate_limited", label, { ...base, retryAfterMs: retryAfterMsFromHeaders(error.headers) });
  }
  if (status === 408 || status === 409 || status >= 500) {
    return new AiError("transient", label, { ...base, retryAfterMs: retryAfterMsFromHeaders(error.headers) });
  }
  // Azure and others refuse a prompt their filter flags with a 400 rather than a filtered answer.
  if (code === "content_filter" || code === "content_policy_violation") {
    return new AiError("permanent", label, { ...base, answerProblem: "content_filter" });
  }
  return new AiError("permanent", label, base);
}

/**
 * Classifies any thrown value into an {@link AiError} (an AiError is returned unchanged):
 * - `APIUserAbortError` (our caller's signal fired) → `transient` with `aborted: true`. Nothing is known to be wrong
 *   with the provider, but the caller gave up, so neither retry nor fallback should happen — check `aborted`;
 * - `APIConnectionTimeoutError` (the per-request `timeout`) and `APIConnectionError` → `transient`;
 * - `APIError` by status: 429 → `rate_limited` (but `insufficient_quota` → `permanent`), 408/409/5xx → `transient`,
 *   other 4xx → `permanent`, no status → `transient`;
 * - other `OpenAIError`s (e.g. finish-reason errors) → `bad_response`;
 * - a DOM `AbortError`/`TimeoutError` → `transient` (aborted for AbortError);
 * - anything else → `permanent` (a local bug is not fixed by retrying).
 */
export function classifyAiError(error: unknown, options: ClassifyOptions = {}): AiError {
  if (error instanceof AiError) return error;
  const secrets = options.secrets ?? [];
  const model = options.model;
  const forModel = model ? ` for model ${model}` : "";
  if (error instanceof APIUserAbortError) {
    return new AiError("transient", `AI request${forModel} aborted by the caller`, { aborted: true, model });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new AiError("transient", `AI request${forModel} timed out`, { model });
  }
  if (error instanceof APIConnectionError) {
    const cause = causeSummary(error);
    const detail = safeDetail(cause ? `${error.message} (${cause})` : error.message, secrets);
    return new AiError("transient", `AI API unreachable${forModel}: ${detail}`, { model });
  }
  if (isApiError(error)) return fromApiError(error, secrets, model);
  if (error instanceof OpenAIError) {
    return new AiError("bad_response", `AI response unusable${forModel}: ${safeDetail(error.message, secrets)}`, { model });
  }
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
    const aborted = error.name === "AbortError";
    return new AiError("transient", `AI request${forModel} ${aborted ? "aborted" : "timed out"}`, { aborted, model });
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new AiError("permanent", `AI request${forModel} failed unexpectedly: ${safeDetail(text, secrets)}`, { model });
}

/**
 * Whether a failure on one model makes trying the next fallback model worthwhile: transient (not aborted) and
 * rate-limited failures, and an unknown/unavailable model (404 mentioning the model, or code `model_not_found`).
 * Other permanent failures (400, 401, 403, quota) and bad responses would fail the same way on any model.
 */
export function shouldTryFallbackModel(error: AiError): boolean {
  if (error.aborted) return false;
  return error.kind === "transient" || error.kind === "rate_limited" || error.modelNotFound;
}

/** Statuses that say one request was refused (too big, malformed, flagged), not that the provider cannot be used. */
const REQUEST_STATUSES: ReadonlySet<number> = new Set([400, 413, 422]);

/**
 * Whether a failure is the provider's (down, slow, overloaded, rate limited, or refusing our key, quota or model):
 * waiting or an operator fixes it, and every request fails alike meanwhile. The rest — an unusable answer, a
 * request refused as such (400/413/422), a local error — is about the one request, and asking again may fail again.
 */
export function isProviderFailure(error: AiError): boolean {
  if (error.kind === "transient" || error.kind === "rate_limited") return true;
  if (error.kind === "bad_response" || error.answerProblem !== undefined) return false;
  return error.status !== undefined && !REQUEST_STATUSES.has(error.status);
}
