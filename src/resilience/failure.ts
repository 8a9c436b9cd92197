import { BrokenCircuitError, IsolatedCircuitError, TaskCancelledError } from "cockatiel";
import { AiError } from "../ai/errors.js";
import { XApiError } from "../x/errors.js";
import { errorCode, findInChain } from "../kit/error-chain.js";
import { clip } from "../text/clip.js";

/** How a failure is handled: retried and counted by the breaker, waited out, or given up. */
export type FailureKind = "transient" | "rate_limited" | "permanent";

/** One failure, classified once for every dependency (X, AI, database). */
export interface Failure {
  readonly kind: FailureKind;
  /** A short machine word: network, timeout, server_error, duplicate_content, database_unavailable, circuit_open, … */
  readonly reason: string;
  /** Readable and free of secrets (the X and AI errors are redacted where they are made). */
  readonly message: string;
  /** A write may have taken effect although no success was seen: reconcile, never blindly retry. */
  readonly mayHaveSucceeded: boolean;
  /** The caller gave up (shutdown): not the dependency's fault, never retried nor counted. */
  readonly aborted: boolean;
  /** When a rate limit resets. */
  readonly retryAt: Date | undefined;
}

/** postgres-js and PostgreSQL codes that mean "the server is unreachable or going away", not "bad query". */
const DATABASE_DOWN_CODES = new Set([
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
]);

/** True when the error says the database cannot be reached (drizzle wraps the driver's error as `cause`). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return (
    findInChain(error, (link) => {
      const code = errorCode(link);
      return code !== undefined && (DATABASE_DOWN_CODES.has(code) || code.startsWith("08"));
    }) !== undefined
  );
}

const failure = (kind: FailureKind, reason: string, message: string, extra: Partial<Failure> = {}): Failure => ({
  kind,
  reason,
  message,
  mayHaveSucceeded: false,
  aborted: false,
  retryAt: undefined,
  ...extra,
});

/**
 * The one classification of failures. Transient (network, timeout, 5xx, 408, database unreachable)
 * is retried and counted by the circuit breaker; rate limited (429) waits for the reset and is not
 * a breaker failure; permanent (4xx, duplicate content, not summoned, deleted or restricted post,
 * 401, bad AI answer) is given up at once. An open circuit is reported as transient but is never
 * retried (retrying it would only spin).
 */
export function classifyFailure(error: unknown): Failure {
  if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
    return failure("transient", "circuit_open", "circuit breaker open: the dependency is resting");
  }
  if (error instanceof TaskCancelledError) {
    return failure("transient", "timeout", "timed out", { mayHaveSucceeded: true });
  }
  if (error instanceof XApiError) {
    return failure(error.kind, error.reason, error.message, {
      mayHaveSucceeded: error.mayHaveSucceeded,
      aborted: error.reason === "aborted",
      retryAt: error.resetAt,
    });
  }
  if (error instanceof AiError) {
    const kind: FailureKind = error.kind === "bad_response" ? "permanent" : error.kind;
    return failure(kind, error.kind === "bad_response" ? "bad_response" : `ai_${error.kind}`, error.message, {
      aborted: error.aborted,
      retryAt: error.retryAfterMs === undefined ? undefined : new Date(Date.now() + error.retryAfterMs),
    });
  }
  if (isDatabaseUnavailable(error)) {
    return failure("transient", "database_unavailable", "the database cannot be reached");
  }
  const message = error instanceof Error ? error.message : String(error);
  return failure("permanent", "unexpected", clip(message, 300));
}

/**
 * Whether a policy may retry the failure: transient, not an open circuit, not aborted, and — for a
 * write that is not idempotent — certainly not applied (a maybe-sent POST is reconciled, never resent).
 */
export function isRetryable(error: unknown, idempotent: boolean): boolean {
  const f = classifyFailure(error);
  return f.kind === "transient" && f.reason !== "circuit_open" && !f.aborted && (idempotent || !f.mayHaveSucceeded);
}

/** Whether a failure counts against the dependency's circuit breaker. */
export function countsAgainstBreaker(error: unknown): boolean {
  const f = classifyFailure(error);
  return f.kind === "transient" && f.reason !== "circuit_open" && !f.aborted;
}
