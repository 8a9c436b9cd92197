/**
 * The publish failure rules as a table: one classified failure, the reply's attempt count and the
 * phase (reading X before the POST, or the POST itself) in; what the publisher does next out.
 */
import { describe, expect, it } from "vitest";
import type { Failure, FailureKind } from "../../src/resilience/failure.js";
import {
  decidePublishOutcome,
  publishRetryDelayMs,
  type PublishNext,
  type PublishOutcomeContext,
} from "../../src/workflow/publish/decide-outcome.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const at = (ms: number) => new Date(NOW.getTime() + ms);
const CHECK = "could not check X before posting: ";
const MEDIA = "could not prepare the attachment: ";

function failure(kind: FailureKind, reason: string, message: string, extra: Partial<Failure> = {}): Failure {
  return { kind, reason, message, mayHaveSucceeded: false, aborted: false, retryAt: undefined, ...extra };
}

const breakerOpen = failure("transient", "circuit_open", "circuit breaker open: the dependency is resting");
const shutDown = failure("transient", "timeout", "aborted", { aborted: true, mayHaveSucceeded: true });
const bug = failure("permanent", "unexpected", "TypeError: boom");
const serverError = failure("transient", "server_error", "X answered 503", { mayHaveSucceeded: true });
const network = failure("transient", "network", "connection refused");
const deleted = failure("permanent", "deleted_post", "the post was deleted or is not visible");
const unauthorized = failure("permanent", "unauthorized", "X answered 401");
const suspended = failure("permanent", "account_suspended", "X answered 403: Your account is suspended");
const forbidden = failure("permanent", "forbidden", "X answered 403: Forbidden");
const duplicate = failure("permanent", "duplicate_content", "X refused it as duplicate content");
const rateLimited = (retryAt: Date | undefined) => failure("rate_limited", "rate_limited", "X answered 429", { retryAt });

interface Row {
  readonly name: string;
  readonly failure: Failure;
  readonly phase: PublishOutcomeContext["phase"];
  readonly attemptCount: number;
  readonly next: PublishNext;
}

const failed = (reason: string, deadLetter: Extract<PublishNext, { kind: "fail" }>["deadLetter"]): PublishNext => ({
  kind: "fail",
  reason,
  deadLetter,
});

const ROWS: Row[] = [
  {
    name: "breaker open before the POST: the account is down, the reply goes back (never failed for it), nothing sent",
    failure: breakerOpen,
    phase: "post",
    attemptCount: 1,
    next: { kind: "account_down", error: `${breakerOpen.message}; nothing was sent`, credentialsRejected: false },
  },
  {
    name: "breaker open while checking, even at maxAttempts: the same, with the check prefix",
    failure: breakerOpen,
    phase: "check",
    attemptCount: 5,
    next: { kind: "account_down", error: `${CHECK}${breakerOpen.message}; nothing was sent`, credentialsRejected: false },
  },
  {
    name: "aborted (shutdown) while checking: retried, not ambiguous (nothing was posted)",
    failure: shutDown,
    phase: "check",
    attemptCount: 5,
    next: { kind: "retry", error: `${CHECK}aborted`, at: at(480 * SECOND), ambiguous: false },
  },
  {
    name: "aborted during the POST: retried, ambiguous (reconcile first)",
    failure: shutDown,
    phase: "post",
    attemptCount: 1,
    next: { kind: "retry", error: "aborted", at: at(30 * SECOND), ambiguous: true },
  },
  {
    name: "unexpected error after the POST started: retried, ambiguous, even at maxAttempts",
    failure: bug,
    phase: "post",
    attemptCount: 5,
    next: { kind: "retry", error: "TypeError: boom", at: at(480 * SECOND), ambiguous: true },
  },
  {
    name: "unexpected error while checking: not a verdict on the reply, retried like a transient one",
    failure: bug,
    phase: "check",
    attemptCount: 2,
    next: { kind: "retry", error: `${CHECK}TypeError: boom`, at: at(60 * SECOND), ambiguous: false },
  },
  {
    name: "unexpected error while checking at maxAttempts: gives up, retryable",
    failure: bug,
    phase: "check",
    attemptCount: 5,
    next: failed(`gave up after 5 attempts: ${CHECK}TypeError: boom`, {
      error: `${CHECK}TypeError: boom`,
      errorType: "unexpected",
      retryable: true,
    }),
  },
  {
    name: "rate limited with a reset in 5 minutes: the account waits until the reset",
    failure: rateLimited(at(5 * MINUTE)),
    phase: "post",
    attemptCount: 1,
    next: { kind: "rate_limit_wait", error: "X answered 429", until: at(5 * MINUTE) },
  },
  {
    name: "rate limited with a reset already past (clock skew): waits the 60 s minimum",
    failure: rateLimited(at(-2 * MINUTE)),
    phase: "post",
    attemptCount: 1,
    next: { kind: "rate_limit_wait", error: "X answered 429", until: at(60 * SECOND) },
  },
  {
    name: "rate limited with a reset in 30 s: still waits the 60 s minimum",
    failure: rateLimited(at(30 * SECOND)),
    phase: "check",
    attemptCount: 5,
    next: { kind: "rate_limit_wait", error: `${CHECK}X answered 429`, until: at(60 * SECOND) },
  },
  {
    name: "rate limited without a reset: waits the default 15 minutes",
    failure: rateLimited(undefined),
    phase: "post",
    attemptCount: 1,
    next: { kind: "rate_limit_wait", error: "X answered 429", until: at(15 * MINUTE) },
  },
  {
    name: "permanent (deleted post): failed at once, not retryable, the account goes on",
    failure: deleted,
    phase: "post",
    attemptCount: 1,
    next: failed(deleted.message, { errorType: "deleted_post", retryable: false }),
  },
  {
    name: "permanent while checking: the same, with the check prefix",
    failure: deleted,
    phase: "check",
    attemptCount: 1,
    next: failed(`${CHECK}${deleted.message}`, { errorType: "deleted_post", retryable: false }),
  },
  {
    name: "unauthorized (401): the account's credentials are rejected, the reply goes back for another account",
    failure: unauthorized,
    phase: "post",
    attemptCount: 1,
    next: { kind: "account_down", error: `${unauthorized.message}; nothing was sent`, credentialsRejected: true },
  },
  {
    name: "account suspended or locked (403): like a 401, the account is refused and the reply goes back uncounted",
    failure: suspended,
    phase: "post",
    attemptCount: 1,
    next: { kind: "account_down", error: `${suspended.message}; nothing was sent`, credentialsRejected: true },
  },
  {
    name: "account suspended while checking: the same, with the check prefix",
    failure: suspended,
    phase: "check",
    attemptCount: 5,
    next: { kind: "account_down", error: `${CHECK}${suspended.message}; nothing was sent`, credentialsRejected: true },
  },
  {
    name: "a plain 403 on the POST fails that reply (the post's restriction), not its account",
    failure: forbidden,
    phase: "post",
    attemptCount: 1,
    next: failed(forbidden.message, { errorType: "forbidden", retryable: false }),
  },
  {
    name: "a plain 403 while checking (reading the post) fails the reply too",
    failure: forbidden,
    phase: "check",
    attemptCount: 1,
    next: failed(`${CHECK}${forbidden.message}`, { errorType: "forbidden", retryable: false }),
  },
  {
    name: "duplicate content on the POST: look at X for our own earlier reply",
    failure: duplicate,
    phase: "post",
    attemptCount: 1,
    next: { kind: "check_duplicate" },
  },
  {
    name: "duplicate content while checking is just permanent",
    failure: duplicate,
    phase: "check",
    attemptCount: 1,
    next: failed(`${CHECK}${duplicate.message}`, { errorType: "duplicate_content", retryable: false }),
  },
  {
    name: "transient while checking, first attempt: retried in 30 s, not ambiguous",
    failure: serverError,
    phase: "check",
    attemptCount: 1,
    next: { kind: "retry", error: `${CHECK}X answered 503`, at: at(30 * SECOND), ambiguous: false },
  },
  {
    name: "transient under maxAttempts (4th of 5): retried after 240 s",
    failure: network,
    phase: "post",
    attemptCount: 4,
    next: { kind: "retry", error: "connection refused", at: at(240 * SECOND), ambiguous: false },
  },
  {
    name: "transient at maxAttempts, nothing sent: gives up, retryable, the dead letter keeps the bare reason",
    failure: network,
    phase: "post",
    attemptCount: 5,
    next: failed("gave up after 5 attempts: connection refused", {
      error: "connection refused",
      errorType: "network",
      retryable: true,
    }),
  },
  {
    name: "transient at maxAttempts while checking, even one that may have succeeded (a read): gives up",
    failure: serverError,
    phase: "check",
    attemptCount: 5,
    next: failed(`gave up after 5 attempts: ${CHECK}X answered 503`, {
      error: `${CHECK}X answered 503`,
      errorType: "server_error",
      retryable: true,
    }),
  },
  {
    name: "maybe sent after the POST at maxAttempts: never given up, retried with a reconcile",
    failure: serverError,
    phase: "post",
    attemptCount: 5,
    next: { kind: "retry", error: "X answered 503", at: at(480 * SECOND), ambiguous: true },
  },
  {
    name: "maybe sent after the POST, under maxAttempts: retried with a reconcile",
    failure: serverError,
    phase: "post",
    attemptCount: 2,
    next: { kind: "retry", error: "X answered 503", at: at(60 * SECOND), ambiguous: true },
  },
  {
    name: "X answered 503 to a media upload step: retried with backoff, never ambiguous (nothing was posted)",
    failure: serverError,
    phase: "media",
    attemptCount: 1,
    next: { kind: "retry", error: `${MEDIA}${serverError.message}`, at: at(30 * SECOND), ambiguous: false },
  },
  {
    name: "media upload failing at maxAttempts: failed and dead-lettered as retryable, with the media prefix",
    failure: serverError,
    phase: "media",
    attemptCount: 5,
    next: failed(`gave up after 5 attempts: ${MEDIA}${serverError.message}`, {
      error: `${MEDIA}${serverError.message}`,
      errorType: "server_error",
      retryable: true,
    }),
  },
  {
    name: "X could not process the attachment: failed for good",
    failure: failure("permanent", "media_processing_failed", "X could not process the media: Unsupported video codec"),
    phase: "media",
    attemptCount: 1,
    next: failed(`${MEDIA}X could not process the media: Unsupported video codec`, { errorType: "media_processing_failed", retryable: false }),
  },
  {
    name: "breaker open during a media upload: the account is down, the reply goes back uncounted",
    failure: breakerOpen,
    phase: "media",
    attemptCount: 1,
    next: { kind: "account_down", error: `${MEDIA}${breakerOpen.message}; nothing was sent`, credentialsRejected: false },
  },
];

describe("decidePublishOutcome", () => {
  it.each(ROWS)("$name", (row) => {
    const next = decidePublishOutcome(row.failure, { attemptCount: row.attemptCount }, { phase: row.phase, now: NOW, maxAttempts: 5 });
    expect(next).toEqual(row.next);
  });

  it("retries after the configured base delay, doubling", () => {
    const context = { phase: "check", now: NOW, maxAttempts: 5, retryBaseMs: 10 } as const;
    expect(decidePublishOutcome(network, { attemptCount: 1 }, context)).toMatchObject({ kind: "retry", at: at(10) });
    expect(decidePublishOutcome(network, { attemptCount: 3 }, context)).toMatchObject({ kind: "retry", at: at(40) });
  });

  it("honours maxAttempts from the context", () => {
    const context = { phase: "post", now: NOW, maxAttempts: 1 } as const;
    expect(decidePublishOutcome(network, { attemptCount: 1 }, context)).toMatchObject({ kind: "fail" });
  });
});

describe("publishRetryDelayMs", () => {
  it.each([
    [0, 30 * SECOND],
    [1, 30 * SECOND],
    [2, 60 * SECOND],
    [3, 120 * SECOND],
    [5, 480 * SECOND],
    [6, 15 * MINUTE],
    [20, 15 * MINUTE],
  ])("after attempt %i waits %i ms (doubling from 30 s, capped at 15 min)", (attempt, ms) => {
    expect(publishRetryDelayMs(attempt)).toBe(ms);
  });

  it("starts from the given base", () => {
    expect(publishRetryDelayMs(1, 5)).toBe(5);
    expect(publishRetryDelayMs(4, 5)).toBe(40);
  });
});
