import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";
import { createDeadLetterAdmin } from "./dead-letters/admin.js";
import type { DeadLetter, DeadLetterSettings } from "./dead-letters/entries.js";
import { createRecorder } from "./dead-letters/record.js";
import { createWorker } from "./dead-letters/worker.js";

export { DEAD_LETTER_STATUS_WORDS } from "./dead-letters/admin.js";
export {
  deadLetterDelayMs,
  type DeadLetter,
  type DeadLetterActionResult,
  type DeadLetterInput,
  type DeadLetterRunResult,
  type DeadLetterSettings,
  type DeadLetterSummary,
  type DeadLetterView,
} from "./dead-letters/entries.js";
export type { DeadLetterRecorder } from "./dead-letters/record.js";

/** What the dead-letter queue needs. */
export interface DeadLetterDeps {
  readonly db: Database;
  /**
   * Runs the publisher after the worker handed replies back to it. Without it, they wait for the
   * next run of the publish job (they are approved and due at once).
   */
  readonly publisher?: { runOnce(): Promise<unknown> };
  readonly logger: Logger;
  readonly settings: DeadLetterSettings;
  readonly now?: () => Date;
  /** Called once per move to `exhausted` (after the move is committed): raise the alert here. */
  readonly onExhausted?: (entry: DeadLetter) => void;
  /** Called after replies changed, to redraw their cards. */
  readonly onChange: () => Promise<unknown>;
  /** The pause switch: while paused the worker hands no reply back to the publisher. */
  readonly pause?: { isPaused(): Promise<boolean> };
}

/**
 * The dead-letter queue of publishes. The publisher records every reply it moves to `failed`
 * (`record`, in the same transaction): a transient failure (attempts used up, breaker open) becomes
 * `pending` with `next_retry_at = now + base × multiplier^retryCount`; a permanent one, or one that
 * has been retried `maxRetries` times, becomes `exhausted`. The worker (`runDue`, on DLQ_CRON)
 * claims due `pending` entries, marks them `retrying` and moves their replies `failed → approved`
 * with `needs_reconcile` set and due now, so the publisher always reads X for an earlier reply
 * before it posts again. The publisher then settles the entry: published → `retried_successfully`,
 * failed → `record` again. Admins retry or discard entries from /dlq.
 */
export function createDeadLetters(deps: DeadLetterDeps) {
  const { db, logger, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const recorder = createRecorder({ db, logger, settings, now, onExhausted: deps.onExhausted });
  const { pause } = deps;
  const isPaused = pause ? () => pause.isPaused() : undefined;
  const { runDue } = createWorker({ db, logger, now, recorder, publisher: deps.publisher, onChange: deps.onChange, isPaused });
  const admin = createDeadLetterAdmin({ db, logger, now, runDue, onChange: deps.onChange });
  return { settings, ...recorder, runDue, ...admin };
}

/** The dead-letter queue's interface. */
export type DeadLetters = ReturnType<typeof createDeadLetters>;
