/**
 * The alerts the rest of the app raises, made from what it already reports: workflow notices,
 * breaker state changes and exhausted dead letters. The app wires them:
 * `notify: (n) => void alerting.raise(alertFromNotice(n, config.timeZone))`.
 */
import type { BreakerState } from "../resilience/policy.js";
import { xPolicyName } from "../resilience/policy-names.js";
import { formatTimestamp } from "../text/time.js";
import type { DeadLetter } from "../workflow/dead-letters.js";
import type { WorkflowNotice } from "../workflow/notices.js";
import { SUGGESTED_LEVELS, type AlertInput } from "./types.js";

/** "X sessions checked in 1.2 s: restored 1 (main) / failed 1 (second: reason)". */
function sessionsReport(notice: Extract<WorkflowNotice, { kind: "sessions_verified" }>): string {
  const restored = `restored ${notice.restored.length}${notice.restored.length > 0 ? ` (${notice.restored.join(", ")})` : ""}`;
  const failed = `failed ${notice.failed.length}${notice.failed.length > 0 ? ` (${notice.failed.map((f) => `${f.account}: ${f.reason}`).join("; ")})` : ""}`;
  const took = `${(notice.tookMs / 1000).toFixed(1)} s`;
  const out = notice.failed.length > 0 ? " Failed accounts publish nothing until X accepts them again (checked every health interval)." : "";
  return `X sessions checked at boot in ${took}: ${restored} / ${failed}.${out}`;
}

/** The alert of a workflow notice (rate limit, session failed or recovered, failed publish, draft or card, AI outage). */
export function alertFromNotice(notice: WorkflowNotice, timeZone: string): AlertInput {
  switch (notice.kind) {
    case "rate_limited":
      return {
        type: "rate_limit_exceeded",
        level: SUGGESTED_LEVELS.rate_limit_exceeded,
        // Keyed like the account's breaker and /health component, so one name follows an account through the alerts.
        key: xPolicyName(notice.account),
        message: `X rate-limited account ${notice.account}: nothing goes out from it until ${formatTimestamp(notice.until, timeZone)}.`,
        details: { account: notice.account, until: notice.until.toISOString() },
      };
    case "session_failed":
      return {
        type: "session_failed",
        level: SUGGESTED_LEVELS.session_failed,
        key: notice.account,
        message:
          `X account ${notice.account} failed and left the pool: ${notice.reason}. Its free replies go out from the other ` +
          "accounts; those bound to it wait. It is checked again every health interval and rejoins when X answers.",
        details: { account: notice.account, reason: notice.reason },
      };
    case "session_recovered":
      return {
        type: "session_recovered",
        level: SUGGESTED_LEVELS.session_recovered,
        key: notice.account,
        message: `X account ${notice.account} answers again: it is back in the pool and takes new work.`,
        details: { account: notice.account },
      };
    case "sessions_verified":
      return {
        type: "sessions_verified",
        level: notice.failed.length > 0 ? SUGGESTED_LEVELS.session_failed : SUGGESTED_LEVELS.sessions_verified,
        // Keyed by the outcome: a boot soon after one with the same outcome folds into it, a different one is shown.
        key: `restored:${notice.restored.join(",")};failed:${notice.failed.map((f) => f.account).join(",")}`,
        message: sessionsReport(notice),
        details: { restored: notice.restored.length, failed: notice.failed.length, took_ms: notice.tookMs },
      };
    case "publication_failed":
      return {
        type: "publication_failed",
        level: SUGGESTED_LEVELS.publication_failed,
        key: `reply:${notice.replyId}`,
        message: `Reply #${notice.replyId} could not be published${notice.retryable ? " (it will be retried)" : ""}.`,
        details: { reply: notice.replyId, reason: notice.reason, retryable: notice.retryable },
      };
    case "draft_failed":
      return {
        type: "tweet_processing_failed",
        level: SUGGESTED_LEVELS.tweet_processing_failed,
        key: `tweet:${notice.tweetId}`,
        message: `No draft could be written for post ${notice.tweetId} after ${notice.attempts} attempts: skipped${notice.skipReason ? ` (${notice.skipReason})` : ""}.`,
        details: { tweet: notice.tweetId, reason: notice.reason, attempts: notice.attempts, skip_reason: notice.skipReason },
      };
    case "ai_outage":
      return {
        type: "ai_outage",
        level: SUGGESTED_LEVELS.ai_outage,
        message: `The AI provider is not answering: drafting waits, ${notice.waiting} ${notice.waiting === 1 ? "post" : "posts"} waiting.`,
        details: { waiting: notice.waiting, reason: notice.reason },
      };
    case "ai_recovered":
      return {
        type: "ai_recovered",
        level: SUGGESTED_LEVELS.ai_recovered,
        message: `AI back (down since ${formatTimestamp(notice.since, timeZone)}): ${notice.drafted} ${notice.drafted === 1 ? "draft" : "drafts"} made, ${notice.waiting} still waiting.`,
        details: { drafted: notice.drafted, waiting: notice.waiting, since: notice.since.toISOString() },
      };
    case "card_failed":
      return {
        type: "card_failed",
        level: SUGGESTED_LEVELS.card_failed,
        // One alert per reply: a card refused again after an edit folds into the first (dedup window).
        key: `reply:${notice.replyId}`,
        message: `Telegram refused the card of reply #${notice.replyId}; the cards after it went out. It is tried again when the reply changes; /queue lists it.`,
        details: { reply: notice.replyId, reason: notice.reason },
      };
  }
}

/**
 * The alert of a breaker state change (`registry.onChange`); none for half-open (a probe is no news), and none for
 * the AI models' breakers: drafting raises one `ai_outage` / `ai_recovered` pair for the provider, with the posts
 * waiting, instead of a pair per model.
 */
export function alertFromBreaker(event: { readonly name: string; readonly kind: string; readonly state: BreakerState }): AlertInput | undefined {
  if (event.kind === "ai") return undefined;
  if (event.state === "open" || event.state === "isolated") {
    return {
      type: "circuit_breaker_open",
      level: SUGGESTED_LEVELS.circuit_breaker_open,
      key: event.name,
      message: `Circuit breaker ${event.name} opened: calls to it are paused and retried later.`,
      details: { breaker: event.name, dependency: event.kind, state: event.state },
    };
  }
  if (event.state === "closed") {
    return {
      type: "circuit_breaker_closed",
      level: SUGGESTED_LEVELS.circuit_breaker_closed,
      key: event.name,
      message: `Circuit breaker ${event.name} closed: ${event.name} answers again.`,
      details: { breaker: event.name, dependency: event.kind },
    };
  }
  return undefined;
}

/** The alert of a dead letter that gave up (`onDeadLetterExhausted`). */
export function alertFromDeadLetter(entry: DeadLetter): AlertInput {
  return {
    type: "dlq_exhausted",
    level: SUGGESTED_LEVELS.dlq_exhausted,
    key: `reply:${entry.replyId}`,
    message: `Gave up publishing reply #${entry.replyId} after ${entry.retryCount} ${entry.retryCount === 1 ? "retry" : "retries"}: retry or discard it with /dlq.`,
    details: { dead_letter: entry.id, reply: entry.replyId, error: entry.error, error_type: entry.errorType, retries: entry.retryCount },
  };
}
