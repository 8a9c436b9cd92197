/**
 * Raising: an alert at or above `MIN_ALERT_LEVEL` is stored in the outbox (no delivery, no waiting
 * on a channel, no exception); failures of the counted types also feed the `multiple_failures`
 * counter, which raises one alert when N of a kind fall within its window.
 */
import type { Logger } from "../logger.js";
import { FailureCounter } from "./failure-counter.js";
import { toAlertRow, type Outbox } from "./outbox.js";
import { isAtLeast, type AlertInput, type AlertLevel, type AlertType } from "./types.js";

/** Alert types counted towards `multiple_failures`. */
const COUNTED_FAILURES: readonly AlertType[] = ["publication_failed", "tweet_processing_failed", "dlq_exhausted"];

/** The producing side of alerting. */
export interface AlertRaiser {
  /** Stores an alert for delivery; never throws (the promise never rejects), never waits on a channel. */
  raise(input: AlertInput): Promise<void>;
  /** Counts one failure of `kind`; N (5) within the window (10 min) raise one `multiple_failures` alert. */
  recordFailure(kind: string, message?: string): Promise<void>;
}

/** What {@link createAlertRaiser} needs. */
export interface AlertRaiserDeps {
  readonly outbox: Outbox;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly minLevel: AlertLevel;
  /** Values masked in what is stored. */
  readonly secrets: readonly string[];
}

/** Builds the {@link AlertRaiser}. */
export function createAlertRaiser(deps: AlertRaiserDeps): AlertRaiser {
  const { outbox, logger, now } = deps;
  const failures = new FailureCounter();

  function recordFailure(kind: string, message?: string): Promise<void> {
    const tripped = failures.record(kind, now());
    if (tripped === undefined) return Promise.resolve();
    const minutes = Math.round(failures.windowMs / 60_000);
    return raise({
      type: "multiple_failures",
      level: "error",
      key: kind,
      message: `${tripped} ${kind} failures within ${minutes} minutes.`,
      details: { kind, count: tripped, window_minutes: minutes, last: message },
    });
  }

  function raise(input: AlertInput): Promise<void> {
    try {
      // Stored first, so the alert reads before the multiple_failures it may trip.
      const stored = isAtLeast(input.level, deps.minLevel)
        ? outbox.enqueue([toAlertRow(input, now(), deps.secrets)])
        : Promise.resolve();
      const counted = COUNTED_FAILURES.includes(input.type) ? recordFailure(input.type, input.message) : Promise.resolve();
      return Promise.all([stored, counted]).then(() => undefined);
    } catch (error) {
      logger.error({ err: error, type: input.type }, "could not raise an alert");
      return Promise.resolve();
    }
  }

  return { raise, recordFailure };
}
