import { ApiPartialResponseError, ApiRequestError, ApiResponseError } from "twitter-api-v2";
import type { TwitterRateLimit } from "twitter-api-v2";
import { clipFlat } from "../text/clip.js";

/** How a caller should react: retry later, wait for `resetAt`, or give up. */
export type XErrorKind = "transient" | "rate_limited" | "permanent";

/** Why an X call failed. */
export type XErrorReason =
  | "network"
  | "timeout"
  | "server_error"
  | "rate_limited"
  | "duplicate_content"
  | "not_summoned"
  | "deleted_post"
  | "reply_restricted"
  | "unauthorized"
  /** 403: the account itself is suspended or locked (not the post or the reply): it can do nothing until X lifts it. */
  | "account_suspended"
  | "forbidden"
  | "not_found"
  | "bad_request"
  | "aborted";

/** What {@link classifyXError} needs to know about the failed call. */
export interface XErrorContext {
  /** HTTP method, e.g. "POST". Decides whether a lost answer may hide a side effect. */
  method: string;
  /** Endpoint key, e.g. "/2/tweets" or "POST /2/tweets". */
  endpoint: string;
  /** The caller's AbortSignal fired (a real answer from X still wins). */
  aborted?: boolean;
  /** Nothing was sent at all (e.g. aborted before the request started). */
  notSent?: boolean;
  /** Values that must never appear in a message (tokens, secrets). */
  secrets?: readonly string[];
}

/** Every failure of the X port, classified once (see {@link classifyXError}). Safe to log: holds no credentials. */
export class XApiError extends Error {
  /** Retry later (`transient`), wait until `resetAt` (`rate_limited`), or do not retry (`permanent`). */
  readonly kind: XErrorKind;
  /** The specific cause. */
  readonly reason: XErrorReason;
  /** HTTP status when X answered, else undefined. */
  readonly status: number | undefined;
  /** When the exhausted rate-limit window resets (rate_limited only). */
  readonly resetAt: Date | undefined;
  /** True when a write may have taken effect at X although no success was seen: reconcile before retrying. */
  readonly mayHaveSucceeded: boolean;
  /** HTTP method of the failed call. */
  readonly method: string;
  /** Endpoint of the failed call. */
  readonly endpoint: string;

  constructor(init: {
    message: string;
    kind: XErrorKind;
    reason: XErrorReason;
    status: number | undefined;
    resetAt: Date | undefined;
    mayHaveSucceeded: boolean;
    method: string;
    endpoint: string;
  }) {
    super(init.message);
    this.name = "XApiError";
    this.kind = init.kind;
    this.reason = init.reason;
    this.status = init.status;
    this.resetAt = init.resetAt;
    this.mayHaveSucceeded = init.mayHaveSucceeded;
    this.method = init.method;
    this.endpoint = init.endpoint;
  }
}

/** Thrown by the X client when a 2xx answer does not have the expected shape (classified as a server error). */
export class XUnexpectedResponseError extends Error {
  constructor(readonly what: string) {
    super(`unexpected response from X: ${what}`);
    this.name = "XUnexpectedResponseError";
  }
}

/** Whether `error` is an {@link XApiError}. */
export function isXApiError(error: unknown): error is XApiError {
  return error instanceof XApiError;
}

/** Longest excerpt of X's error body kept in a message. */
export const X_ERROR_BODY_MAX = 200;

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Network error codes meaning the request never left this machine / never reached a server. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "ERR_INVALID_URL",
  "ERR_INVALID_PROTOCOL",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
const NOT_SENT_SYSCALLS = new Set(["connect", "getaddrinfo", "lookup"]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "ESOCKETTIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT"]);
/** The message twitter-api-v2 destroys the request with when `timeout` elapses. */
const LIBRARY_TIMEOUT_MESSAGE = "Request timeout.";

const V1_DUPLICATE = 187;
const V1_REPLY_TO_DELETED = 385;
const V1_REPLY_RESTRICTED = 433;
const V1_NOT_VISIBLE = [144, 179, 421];
/** "Your account is suspended…" and "…this account is temporarily locked". */
const V1_ACCOUNT_SUSPENDED = 64;
const V1_ACCOUNT_LOCKED = 326;

/**
 * Turns any failure of an X call into an {@link XApiError}: twitter-api-v2's `ApiResponseError`,
 * `ApiRequestError` (cause read from its hidden `_options.error`), `ApiPartialResponseError`, abort and network
 * errors, or anything else. The message names the call, the status and ≤ 200 chars of X's explanation, and is
 * scrubbed of OAuth headers and of `context.secrets`.
 */
export function classifyXError(error: unknown, context: XErrorContext): XApiError {
  if (error instanceof XApiError) return error;
  const method = context.method.toUpperCase();
  const call = { ...context, method };
  if (error instanceof ApiResponseError) return fromResponse(error, call);
  if (context.aborted === true) return aborted(call);
  if (error instanceof ApiPartialResponseError) return fromPartialResponse(error, call);
  if (error instanceof ApiRequestError) return fromCause(hiddenCause(error), call);
  return fromCause(error, call);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function prop(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

function stringProp(value: unknown, key: string): string | undefined {
  const v = prop(value, key);
  return typeof v === "string" ? v : undefined;
}

/** twitter-api-v2 1.29.1 stores the real cause on the non-enumerable `_options.error`; `requestError` is undefined. */
function hiddenCause(error: ApiRequestError): unknown {
  const options: unknown = Reflect.get(error, "_options");
  const fromOptions = prop(options, "error");
  if (fromOptions !== undefined) return fromOptions;
  const fromGetter: unknown = error.requestError;
  return fromGetter ?? error;
}

function isWrite(method: string): boolean {
  return WRITE_METHODS.has(method);
}

function make(
  call: XErrorContext,
  fields: { kind: XErrorKind; reason: XErrorReason; status?: number; resetAt?: Date; mayHaveSucceeded: boolean },
  summary: string,
): XApiError {
  const where = call.endpoint.toUpperCase().startsWith(`${call.method} `) ? `X ${call.endpoint}` : `X ${call.method} ${call.endpoint}`;
  const raw = `${where} failed: ${summary}${fields.mayHaveSucceeded ? " (the request may have reached X)" : ""}`;
  return new XApiError({
    message: redact(raw, call.secrets),
    kind: fields.kind,
    reason: fields.reason,
    status: fields.status,
    resetAt: fields.resetAt,
    mayHaveSucceeded: fields.mayHaveSucceeded,
    method: call.method,
    endpoint: call.endpoint,
  });
}

function aborted(call: XErrorContext): XApiError {
  const mayHaveSucceeded = isWrite(call.method) && call.notSent !== true;
  return make(call, { kind: "transient", reason: "aborted", mayHaveSucceeded }, "aborted by the caller");
}

/** Network-level failure (no HTTP answer): abort, timeout, or connection trouble. */
function fromCause(cause: unknown, call: XErrorContext): XApiError {
  const name = stringProp(cause, "name");
  const code = stringProp(cause, "code") ?? stringProp(prop(prop(cause, "errors"), "0"), "code");
  const syscall = stringProp(cause, "syscall");
  const message = stringProp(cause, "message") ?? String(cause);
  if (name === "AbortError" || code === "ABORT_ERR") return aborted(call);

  if (cause instanceof XUnexpectedResponseError) {
    return make(call, { kind: "transient", reason: "server_error", mayHaveSucceeded: isWrite(call.method) }, message);
  }
  const notSent =
    call.notSent === true ||
    (code !== undefined && NOT_SENT_CODES.has(code)) ||
    (syscall !== undefined && NOT_SENT_SYSCALLS.has(syscall));
  const mayHaveSucceeded = isWrite(call.method) && !notSent;
  const detail = trimBody(code !== undefined && !message.includes(code) ? `${code} ${message}` : message);
  if (message === LIBRARY_TIMEOUT_MESSAGE || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return make(call, { kind: "transient", reason: "timeout", mayHaveSucceeded }, `timed out (${detail})`);
  }
  return make(call, { kind: "transient", reason: "network", mayHaveSucceeded }, `network error (${detail})`);
}

/** X answered a status line and headers, but the body was cut off or unparsable. */
function fromPartialResponse(error: ApiPartialResponseError, call: XErrorContext): XApiError {
  const rawStatus: unknown = prop(error.response, "statusCode");
  const status = typeof rawStatus === "number" ? rawStatus : undefined;
  const excerpt = trimBody(error.rawContent);
  if (status !== undefined && status >= 400) {
    return classifyStatus(status, call, { texts: [excerpt], codes: [], summary: excerpt, rateLimit: undefined, retryAfter: undefined });
  }
  return make(
    call,
    { kind: "transient", reason: "network", status, mayHaveSucceeded: isWrite(call.method) },
    `HTTP ${status ?? "?"} with a broken body${excerpt ? `: ${excerpt}` : ""}`,
  );
}

interface ResponseFacts {
  /** Every human-readable string of the body (detail, title, messages), for pattern matching. */
  texts: string[];
  /** v1 error codes. */
  codes: number[];
  /** ≤ 200 chars for the message. */
  summary: string;
  rateLimit: TwitterRateLimit | undefined;
  retryAfter: string | undefined;
}

function fromResponse(error: ApiResponseError, call: XErrorContext): XApiError {
  const data: unknown = error.data;
  const texts: string[] = [];
  const codes: number[] = [];
  if (typeof data === "string") texts.push(data);
  for (const key of ["title", "detail", "error", "error_description", "reason"]) {
    const v = stringProp(data, key);
    if (v !== undefined) texts.push(v);
  }
  const errors = prop(data, "errors");
  if (Array.isArray(errors)) {
    for (const item of errors as unknown[]) {
      for (const key of ["title", "message", "detail"]) {
        const v = stringProp(item, key);
        if (v !== undefined) texts.push(v);
      }
      const c = prop(item, "code");
      if (typeof c === "number") codes.push(c);
    }
  }
  const unique = [...new Set(texts.map((t) => t.trim()).filter(Boolean))];
  const summaryParts = unique.filter((t, i) => !(i > 0 && unique[0]?.includes(t)));
  const summary = trimBody(
    summaryParts.join(" — ") + (codes.length ? ` (code ${codes.join(", ")})` : "") || safeStringify(data),
  );
  const retryAfterHeader: unknown = error.headers["retry-after"];
  const retryAfter = typeof retryAfterHeader === "string" ? retryAfterHeader : undefined;
  return classifyStatus(error.code, call, { texts: unique, codes, summary, rateLimit: error.rateLimit, retryAfter });
}

function classifyStatus(status: number, call: XErrorContext, facts: ResponseFacts): XApiError {
  const summary = `HTTP ${status}${facts.summary ? `: ${facts.summary}` : ""}`;
  if (status === 429 || status === 420) {
    const resetAt = rateLimitResetAt(facts.rateLimit, facts.retryAfter);
    return make(call, { kind: "rate_limited", reason: "rate_limited", status, resetAt, mayHaveSucceeded: false }, summary);
  }
  if (status === 408) {
    return make(call, { kind: "transient", reason: "timeout", status, mayHaveSucceeded: false }, summary);
  }
  if (status >= 500) {
    return make(call, { kind: "transient", reason: "server_error", status, mayHaveSucceeded: isWrite(call.method) }, summary);
  }
  const permanent = (reason: XErrorReason): XApiError =>
    make(call, { kind: "permanent", reason, status, mayHaveSucceeded: false }, summary);
  if (status === 401) return permanent("unauthorized");
  const text = facts.texts.join("\n").toLowerCase();
  const has = (...codes: number[]): boolean => codes.some((c) => facts.codes.includes(c));
  if (has(V1_DUPLICATE) || text.includes("duplicate")) return permanent("duplicate_content");
  // Checked before the post's own troubles: a suspended account's every call says so, whatever the post.
  if (
    has(V1_ACCOUNT_SUSPENDED, V1_ACCOUNT_LOCKED) ||
    text.includes("your account is suspended") ||
    text.includes("account is temporarily locked") ||
    text.includes("your account is locked")
  ) {
    return permanent("account_suspended");
  }
  if (
    text.includes("not been mentioned") ||
    text.includes("otherwise engaged") ||
    text.includes("summoned") ||
    text.includes("reply to this conversation is not allowed")
  ) {
    return permanent("not_summoned");
  }
  if (has(V1_REPLY_TO_DELETED) || (status !== 404 && has(...V1_NOT_VISIBLE)) || text.includes("deleted") || text.includes("not visible")) {
    return permanent("deleted_post");
  }
  if (has(V1_REPLY_RESTRICTED) || text.includes("restricted")) return permanent("reply_restricted");
  if (status === 403 || status === 402) return permanent("forbidden");
  if (status === 404 || status === 410) return permanent("not_found");
  return permanent("bad_request");
}

/** Latest reset among the exhausted windows (15-min, app/user 24 h), else `retry-after`, else the 15-min reset. */
function rateLimitResetAt(rateLimit: TwitterRateLimit | undefined, retryAfter: string | undefined): Date | undefined {
  const resets: number[] = [];
  const windows = [rateLimit, rateLimit?.day, rateLimit?.userDay];
  for (const w of windows) {
    if (w && w.remaining === 0 && Number.isFinite(w.reset) && w.reset > 0) resets.push(w.reset * 1000);
  }
  const fromRetryAfter = parseRetryAfter(retryAfter);
  if (fromRetryAfter !== undefined) resets.push(fromRetryAfter);
  if (resets.length === 0 && rateLimit && Number.isFinite(rateLimit.reset) && rateLimit.reset > 0) {
    resets.push(rateLimit.reset * 1000);
  }
  return resets.length ? new Date(Math.max(...resets)) : undefined;
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Date.now() + seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date;
}

function safeStringify(value: unknown): string {
  if (value === undefined || value === null) return "";
  try {
    return JSON.stringify(value);
  } catch {
    return "[unserializable body]";
  }
}

/** Collapse whitespace and cut to {@link X_ERROR_BODY_MAX} characters. */
function trimBody(text: string): string {
  return clipFlat(text, X_ERROR_BODY_MAX);
}

/** Remove OAuth parameters, Authorization headers, bearer tokens and known secrets from `text`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/(oauth_[a-z_]+\s*=\s*)("[^"]*"|[^\s,&"]+)/gi, "$1[redacted]")
    .replace(/(authorization\s*[:=]\s*)(?:OAuth\s+(?:[a-z_]+\s*=\s*\S+?(?:,\s*|(?=\s)|$))+|(?:Bearer|Basic)\s+\S+|\S+)/gi, "$1[redacted]")
    .replace(/\bBearer\s+[A-Za-z0-9\-._~+/%]+=*/g, "Bearer [redacted]");
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}
