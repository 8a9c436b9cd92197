import type { Database } from "../../src/db/database.js";
import { deadLetters, posts, replies, xAccounts, type DeadLetterStatus, type ReplyStatus } from "../../src/db/schema.js";
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

let seeded = 0;

/**
 * A reply in `reply` status (failed by a 503) to a new post of a new account, with a dead letter in `entry` status
 * due at `nextRetryAt`.
 */
export async function seedDeadLetter(
  db: Database,
  opts: { reply: ReplyStatus; entry: DeadLetterStatus; nextRetryAt: Date | null; expiresAt: Date },
): Promise<{ replyId: number; tweetId: string; entryId: number }> {
  seeded++;
  const [account] = await db.insert(xAccounts).values({ label: `acct-${seeded}` }).returning();
  const tweetId = `55${seeded}`;
  await db
    .insert(posts)
    .values({ tweetId, authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId: account!.id, answerable: true, state: "drafted" });
  const [reply] = await db
    .insert(replies)
    .values({
      postTweetId: tweetId,
      accountId: account!.id,
      status: opts.reply,
      draft: `Hello ${seeded}.`,
      weightedLength: 8,
      expiresAt: opts.expiresAt,
      failureReason: "X answered 503",
    })
    .returning();
  const [entry] = await db
    .insert(deadLetters)
    .values({
      replyId: reply!.id,
      accountId: account!.id,
      error: "X answered 503",
      errorType: "server_error",
      retryable: true,
      status: opts.entry,
      nextRetryAt: opts.nextRetryAt,
    })
    .returning();
  return { replyId: reply!.id, tweetId, entryId: entry!.id };
}
