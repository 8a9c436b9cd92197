import type { Failure } from "../../resilience/failure.js";
import { exponentialBackoffMs } from "../../resilience/backoff.js";
import { isAccountRefusal } from "../account-refusal.js";

/** The default number of attempts before a transient failure fails the reply (and dead-letters it). */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** The first publish retry's delay; each later one doubles it. */
export const DEFAULT_RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 15 * 60_000;
/** How long an account waits after a 429 that carries no reset. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 15 * 60_000;
/** The shortest wait after a 429: a reset already past by our clock (skew) would re-claim at once. */
const MIN_RATE_LIMIT_WAIT_MS = 60_000;

/** Delay before retrying a publish after its n-th failed attempt: doubling from `baseMs` (30 s), capped at 15 min. */
export function publishRetryDelayMs(attempt: number, baseMs: number = DEFAULT_RETRY_BASE_MS): number {
  return exponentialBackoffMs(attempt, baseMs, RETRY_MAX_MS);
}

/** How a failed reply goes to the dead-letter queue. */
export interface DeadLetterNote {
  /** The reason without "gave up after n attempts" (defaults to the reply's failure reason). */
  readonly error?: string;
  readonly errorType: string;
  readonly retryable: boolean;
}

/** What the publisher does with a failed call. */
export type PublishNext =
  /** The POST was refused as duplicate content: look at X for our own earlier reply. */
  | { readonly kind: "check_duplicate" }
  /** Back to approved, due at `at`; `ambiguous`: the POST may have reached X, reconcile first. */
  | { readonly kind: "retry"; readonly error: string; readonly at: Date; readonly ambiguous: boolean }
  /**
   * The account, not the reply, failed (its breaker is open, or X refused the account: 401, 403 suspended) and
   * nothing was sent: the reply goes back, due now and with this attempt not counted, for another
   * account to take (or, bound to this one, to wait for it); claim nothing more for this account now.
   */
  | { readonly kind: "account_down"; readonly error: string; readonly credentialsRejected: boolean }
  /** 429: the whole account waits until `until`, the reply is due again then; claim nothing more for it now. */
  | { readonly kind: "rate_limit_wait"; readonly error: string; readonly until: Date }
  /** Failed and dead-lettered; the account goes on with its other replies. */
  | { readonly kind: "fail"; readonly reason: string; readonly deadLetter: DeadLetterNote };

/** Where the failed call happened and the rules' settings. */
export interface PublishOutcomeContext {
  /**
   * "check": reading X before the POST (identity, reconcile: nothing was sent); "media": downloading or uploading
   * the attachment (nothing was posted); "post": the POST itself.
   */
  readonly phase: "check" | "media" | "post";
  readonly now: Date;
  readonly maxAttempts: number;
  /** The first retry's delay (default 30 s). */
  readonly retryBaseMs?: number;
}

/** What a failure's message is prefixed with, by where it happened. */
const PHASE_PREFIX = {
  check: "could not check X before posting: ",
  media: "could not prepare the attachment: ",
  post: "",
} as const satisfies Record<PublishOutcomeContext["phase"], string>;

/**
 * The publish failure rules, as one pure decision over a classified failure (resilience/failure.ts).
 * Breaker open, 401 or a 403 "account suspended/locked" → the account is down and nothing was sent:
 * the reply goes back uncounted (never failed because of its account; 401 and 403 suspended also
 * mark the account's credentials rejected). Shut
 * down mid-call, or an unclassified error after the POST started → retry, ambiguous after a POST.
 * Rate limited → the account waits for the reset (at least a minute, 15 min without one). Other
 * permanent failures → fail for good. Transient → retry with backoff until `maxAttempts`, then
 * fail (retryable); a POST that may have gone through is always retried, with a reconcile.
 */
export function decidePublishOutcome(
  failure: Failure,
  reply: { readonly attemptCount: number },
  context: PublishOutcomeContext,
): PublishNext {
  const { phase, now } = context;
  if (phase === "post" && failure.reason === "duplicate_content") return { kind: "check_duplicate" };
  const message = PHASE_PREFIX[phase] + failure.message;
  const backoff = () => new Date(now.getTime() + publishRetryDelayMs(reply.attemptCount, context.retryBaseMs));
  if (failure.reason === "circuit_open" || isAccountRefusal(failure, "other")) {
    return { kind: "account_down", error: `${message}; nothing was sent`, credentialsRejected: failure.reason !== "circuit_open" };
  }
  if (failure.aborted || (phase === "post" && failure.reason === "unexpected")) {
    return { kind: "retry", error: message, at: backoff(), ambiguous: phase === "post" };
  }
  if (failure.kind === "rate_limited") {
    const floor = now.getTime() + MIN_RATE_LIMIT_WAIT_MS;
    const reset = failure.retryAt?.getTime() ?? now.getTime() + DEFAULT_RATE_LIMIT_WAIT_MS;
    return { kind: "rate_limit_wait", error: message, until: new Date(Math.max(reset, floor)) };
  }
  // A bug or an unknown error while reading is worth retrying, not a verdict on the reply.
  if (failure.kind === "permanent" && failure.reason !== "unexpected") {
    return { kind: "fail", reason: message, deadLetter: { errorType: failure.reason, retryable: false } };
  }
  const maybeSent = phase === "post" && failure.mayHaveSucceeded;
  if (reply.attemptCount >= context.maxAttempts && !maybeSent) {
    return {
      kind: "fail",
      reason: `gave up after ${reply.attemptCount} attempts: ${message}`,
      deadLetter: { error: message, errorType: failure.reason, retryable: true },
    };
  }
  return { kind: "retry", error: message, at: backoff(), ambiguous: maybeSent };
}
