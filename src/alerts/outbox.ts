/**
 * The producing side of alerting: `raise()` turns an alert into an outbox row and inserts it,
 * and nothing else — no delivery, no waiting on Telegram, no exception. When the insert fails (the
 * database is down) the row waits in a bounded in-memory buffer, in order, and is inserted by the
 * next `raise()` or delivery run that finds the database back.
 */
import type { Database } from "../db/database.js";
import { alerts } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { redactSecrets } from "../logger.js";
import { clip } from "../text/clip.js";
import type { AlertDetailValue, AlertInput } from "./types.js";
import { errorCode, findInChain } from "../kit/error-chain.js";
import { singleFlight } from "../kit/single-flight.js";

/** Rows kept in memory while the database is unavailable; past it the oldest are dropped (and counted). */
export const ALERT_BUFFER_LIMIT = 500;
/** Storage bounds (the formatter cuts shorter still). */
const MAX_STORED_MESSAGE = 4_000;
const MAX_STORED_DETAIL = 2_000;
const MAX_STORED_DETAILS = 50;

type AlertRow = typeof alerts.$inferInsert;

/** Makes the stored form of an alert: redacted, bounded, undefined details dropped. */
export function toAlertRow(input: AlertInput, at: Date, secrets: readonly string[]): AlertRow {
  // Postgres refuses a NUL character in text and jsonb: one in an error body would make the row unstorable.
  const redact = (text: string) => redactSecrets(text, secrets).replaceAll("\u0000", "");
  const details: Record<string, string | number | boolean | null> = {};
  const entries = Object.entries(input.details ?? {}).filter(
    (entry): entry is [string, Exclude<AlertDetailValue, undefined>] => entry[1] !== undefined,
  );
  for (const [key, value] of entries.slice(0, MAX_STORED_DETAILS)) {
    details[clip(redact(key), 100)] =
      typeof value === "string"
        ? clip(redact(value), MAX_STORED_DETAIL)
        : typeof value === "number" && !Number.isFinite(value)
          ? String(value)
          : value;
  }
  return {
    type: input.type,
    level: input.level,
    dedupKey: clip(redact(input.key ?? ""), 200),
    message: clip(redact(input.message), MAX_STORED_MESSAGE),
    details,
    occurredAt: at,
    nextAttemptAt: at,
  };
}

/** True when the database refused this row's values (SQLSTATE class 22 or 23), not when it is away. */
function isRefusedRow(error: unknown): boolean {
  return findInChain(error, (link) => /^2[23]/.test(errorCode(link) ?? "")) !== undefined;
}

/** The insert-or-buffer queue behind `raise()`. */
export function createOutbox(deps: { db: Database; logger: Logger; now: () => Date }) {
  const { db, logger } = deps;
  const queue: AlertRow[] = [];
  let note: { row: AlertRow; lost: number } | undefined;
  let buffering = false;

  /**
   * Keeps the buffer bounded while the database is away: the oldest alerts go, and a note at the
   * front of the buffer (where they were) says how many.
   */
  function trim(): void {
    if (queue.length <= ALERT_BUFFER_LIMIT) return;
    if (note === undefined || queue[0] !== note.row) {
      note = { row: lostNote(0), lost: 0 };
      queue.unshift(note.row);
    }
    const excess = queue.length - ALERT_BUFFER_LIMIT;
    queue.splice(1, excess);
    note.lost += excess;
    Object.assign(note.row, lostNote(note.lost));
    logger.error({ dropped: excess, lost: note.lost }, "alert buffer full; oldest alerts dropped");
  }

  function lostNote(lost: number): AlertRow {
    return {
      type: "multiple_failures",
      level: "error",
      dedupKey: "alert_buffer_overflow",
      message: `${lost} alerts were lost: the database was unavailable and the in-memory buffer (${ALERT_BUFFER_LIMIT}) was full.`,
      details: { lost },
      occurredAt: deps.now(),
      nextAttemptAt: deps.now(),
    };
  }

  /**
   * After a batch insert failed: stores the batch's rows one by one. A row the database refuses
   * (SQLSTATE class 22 data exception or 23 constraint violation) is dropped and logged, so it
   * cannot hold the queue; any other error means the database is away and stops here. Resolves
   * with how many rows from the front of the queue are settled (stored or dropped).
   */
  async function insertOneByOne(batch: readonly AlertRow[]): Promise<number> {
    for (const [index, row] of batch.entries()) {
      try {
        await db.insert(alerts).values(row);
      } catch (error) {
        if (!isRefusedRow(error)) return index;
        logger.error({ err: error, type: row.type, key: row.dedupKey }, "the database refused an alert; dropped, the others go on");
      }
    }
    return batch.length;
  }

  async function insertQueued(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, 100);
      try {
        await db.insert(alerts).values(batch);
      } catch (error) {
        const settled = await insertOneByOne(batch);
        if (settled < batch.length) {
          queue.splice(0, settled);
          if (!buffering) logger.error({ err: error, buffered: queue.length }, "could not store an alert; keeping it in memory");
          buffering = true;
          trim();
          return;
        }
      }
      queue.splice(0, batch.length);
      if (buffering) {
        logger.warn({ flushed: batch.length, left: queue.length }, "stored alerts kept in memory while the database was away");
      }
      if (queue.length === 0) buffering = false;
    }
  }

  /** Inserts what is queued, one drain at a time; never rejects. */
  const drain = singleFlight(() =>
    insertQueued().catch((error: unknown) => logger.error({ err: error }, "alert outbox drain failed")),
  );

  return {
    /** Queues rows (in order) and inserts them; resolves once stored or buffered. */
    async enqueue(rows: readonly AlertRow[]): Promise<void> {
      queue.push(...rows);
      // A drain in flight may have taken its batch before these rows arrived: drain again after it.
      await drain();
      if (queue.length > 0 && !buffering) await drain();
    },
    drain,
    /** Rows waiting in memory. */
    get buffered(): number {
      return queue.length;
    },
  };
}

/** The outbox. */
export type Outbox = ReturnType<typeof createOutbox>;
