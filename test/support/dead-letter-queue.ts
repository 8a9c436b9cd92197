import type { Database } from "../../src/db/database.js";
import type { Logger } from "../../src/logger.js";
import { createDeadLetters, type DeadLetter, type DeadLetterDeps } from "../../src/workflow/dead-letters.js";
import { silentLogger } from "./logger.js";

/** The clock of the dead-letter tests. */
export const DEAD_LETTER_NOW = new Date("2026-03-01T12:00:00Z");
/** Retries after 60 s, 120 s, 240 s, then exhausted. */
export const DEAD_LETTER_SETTINGS = { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 3 };

/**
 * A dead-letter queue on `db` at {@link DEAD_LETTER_NOW}, with what it did: the entries it gave up on, and how often
 * it ran the publisher and told the cards of a change.
 */
export function countingDeadLetters(db: Database, logger: Logger = silentLogger(), overrides: Partial<DeadLetterDeps> = {}) {
  const exhausted: DeadLetter[] = [];
  const calls = { publisher: 0, changes: 0 };
  const q = createDeadLetters({
    db,
    logger,
    settings: DEAD_LETTER_SETTINGS,
    now: () => DEAD_LETTER_NOW,
    onExhausted: (entry) => exhausted.push(entry),
    publisher: {
      runOnce: () => {
        calls.publisher++;
        return Promise.resolve();
      },
    },
    onChange: () => {
      calls.changes++;
      return Promise.resolve();
    },
    ...overrides,
  });
  return { q, exhausted, calls };
}
