import type { deadLetters, DeadLetterStatus } from "../../db/schema.js";
import { exponentialBackoffMs } from "../../resilience/backoff.js";

/** A dead letter as stored. */
export type DeadLetter = typeof deadLetters.$inferSelect;

/** A dead letter with the account it publishes from, for /dlq. */
export interface DeadLetterView extends DeadLetter {
  readonly accountLabel: string | null;
  readonly accountUsername: string | null;
}

/** One failed publish, as the publisher reports it. */
export interface DeadLetterInput {
  readonly replyId: number;
  readonly accountId: number;
  /** Readable reason (no secrets), e.g. "could not check X before posting: X answered 503". */
  readonly error: string;
  /** The failure's machine word from classifyFailure: server_error, circuit_open, deleted_post, … */
  readonly errorType: string;
  /** False for a permanent failure: the entry is exhausted at once and never retried on its own. */
  readonly retryable: boolean;
}

/** The DLQ part of the configuration (`config.deadLetters`; its `cron` is the lead's job schedule). */
export interface DeadLetterSettings {
  readonly baseDelaySeconds: number;
  readonly backoffMultiplier: number;
  readonly maxRetries: number;
}

/** What one worker run did. */
export interface DeadLetterRunResult {
  /** Entries whose replies went back to the publisher. */
  retried: number;
  /** `retrying` entries settled from their reply's state (a publisher that did not report). */
  settled: number;
}

/** The answer to an admin's button. */
export type DeadLetterActionResult =
  | { readonly ok: true; readonly entry: DeadLetter }
  | { readonly ok: false; readonly message: string };

/** Counts by status. */
export type DeadLetterSummary = Record<DeadLetterStatus, number>;

/** Open entries (at most one per reply: the partial unique index). */
export const OPEN_STATUSES: DeadLetterStatus[] = ["pending", "retrying"];

/** Entries claimed or settled per worker transaction. */
export const BATCH_SIZE = 100;

/** No retry waits longer than this, whatever the multiplier (a huge delay would be an invalid Date). */
const MAX_DELAY_MS = 7 * 86_400_000;

/** Delay before the retry of an entry that has been retried `retryCount` times: base × multiplier^retryCount. */
export function deadLetterDelayMs(settings: DeadLetterSettings, retryCount: number): number {
  return exponentialBackoffMs(retryCount + 1, settings.baseDelaySeconds * 1000, MAX_DELAY_MS, settings.backoffMultiplier);
}
