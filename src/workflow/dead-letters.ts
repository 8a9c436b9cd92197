import { and, asc, count, desc, eq, inArray, lte, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { deadLetters, replies, xAccounts, type DeadLetterStatus } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { findReply, transitionReply } from "./reply-states.js";

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

/** The statuses an entry can be retried or discarded from by an admin. */
const ACTIONABLE: DeadLetterStatus[] = ["pending", "exhausted"];
/** Open entries (at most one per reply: the partial unique index). */
const OPEN: DeadLetterStatus[] = ["pending", "retrying"];

/** How a status reads in an answer to a button press ("already discarded"). */
export const DEAD_LETTER_STATUS_WORDS = {
  pending: "waiting for its retry",
  retrying: "being retried",
  retried_successfully: "retried successfully",
  exhausted: "exhausted",
  discarded: "discarded",
} as const satisfies Record<DeadLetterStatus, string>;

/** Entries claimed per worker transaction. */
const BATCH_SIZE = 100;
/** No retry waits longer than this, whatever the multiplier (a huge delay would be an invalid Date). */
const MAX_DELAY_MS = 7 * 86_400_000;

/** Delay before the retry of an entry that has been retried `retryCount` times: base × multiplier^retryCount. */
export function deadLetterDelayMs(settings: DeadLetterSettings, retryCount: number): number {
  return Math.min(settings.baseDelaySeconds * settings.backoffMultiplier ** retryCount * 1000, MAX_DELAY_MS);
}

function isUniqueViolation(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current === "object" && "code" in current && current.code === "23505") return true;
    current = typeof current === "object" && "cause" in current ? current.cause : undefined;
  }
  return false;
}

/**
 * The dead-letter queue of publishes. The publisher records every reply it moves to `failed`
 * (`record`, in the same transaction): a transient failure (attempts used up, breaker open) becomes
 * `pending` with `next_retry_at = now + base × multiplier^retryCount`; a permanent one, or one that
 * has been retried `maxRetries` times, becomes `exhausted`. The worker (`runDue`, on DLQ_CRON)
 * claims due `pending` entries with FOR UPDATE SKIP LOCKED in `(status, next_retry_at, id)` order,
 * marks them `retrying` and moves their replies `failed → approved` with `needs_reconcile` set and
 * due now, so the publisher always reads X for an earlier reply before it posts again. The
 * publisher then settles the entry: published → `retried_successfully`, failed → `record` again.
 */
export function createDeadLetters(deps: DeadLetterDeps) {
  const { db, logger, settings } = deps;
  const now = deps.now ?? (() => new Date());

  /** Inserts the reply's entry, or counts one more failed retry on its open entry. */
  async function record(input: DeadLetterInput, tx: Database = db): Promise<DeadLetter> {
    const current = now();
    const [open] = await tx
      .select()
      .from(deadLetters)
      .where(and(eq(deadLetters.replyId, input.replyId), inArray(deadLetters.status, OPEN)))
      .for("update");
    const retryCount = open ? open.retryCount + 1 : 0;
    const exhausted = !input.retryable || retryCount >= settings.maxRetries;
    const values = {
      accountId: input.accountId,
      error: input.error.slice(0, 1_000),
      errorType: input.errorType,
      retryable: input.retryable,
      status: (exhausted ? "exhausted" : "pending") as DeadLetterStatus,
      retryCount,
      nextRetryAt: exhausted ? null : new Date(current.getTime() + deadLetterDelayMs(settings, retryCount)),
      updatedAt: current,
    };
    const [entry] = open
      ? await tx.update(deadLetters).set(values).where(eq(deadLetters.id, open.id)).returning()
      : await tx
          .insert(deadLetters)
          .values({ ...values, replyId: input.replyId, createdAt: current })
          .returning();
    if (!entry) throw new Error(`dead letter of reply ${input.replyId} could not be written`);
    if (exhausted && input.retryable) {
      // The card says so: the reply stays failed, now with why nothing more will happen on its own.
      const times = retryCount === 1 ? "retry" : "retries";
      await tx
        .update(replies)
        .set({
          failureReason: `gave up after ${retryCount} ${times}: ${input.error}`.slice(0, 300),
          version: sql`${replies.version} + 1`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(replies.id, input.replyId), eq(replies.status, "failed")));
    }
    logger.info(
      { deadLetter: entry.id, replyId: entry.replyId, status: entry.status, retryCount, errorType: entry.errorType },
      exhausted ? "publish dead letter exhausted" : "publish dead-lettered for a later retry",
    );
    if (tx === db) afterCommit(entry);
    return entry;
  }

  /** Raises `onExhausted` for an entry that `record` wrote inside the caller's committed transaction. */
  function afterCommit(entry: DeadLetter): void {
    if (entry.status !== "exhausted" || !deps.onExhausted) return;
    try {
      deps.onExhausted(entry);
    } catch (error) {
      logger.warn({ err: error, deadLetter: entry.id }, "onExhausted failed");
    }
  }

  /** The reply was published: its open entry (if any) is `retried_successfully`. */
  async function resolve(replyId: number, tx: Database = db): Promise<number> {
    const resolved = await tx
      .update(deadLetters)
      .set({ status: "retried_successfully", nextRetryAt: null, updatedAt: now() })
      .where(and(eq(deadLetters.replyId, replyId), inArray(deadLetters.status, OPEN)))
      .returning({ id: deadLetters.id });
    if (resolved.length > 0) logger.info({ replyId }, "dead-lettered reply published on retry");
    return resolved.length;
  }

  /** Claims one batch of due entries and hands their replies back to the publisher. */
  async function claimDue(): Promise<number> {
    return db.transaction(async (tx) => {
      const current = now();
      const due = await tx
        .select()
        .from(deadLetters)
        .where(and(eq(deadLetters.status, "pending"), lte(deadLetters.nextRetryAt, current)))
        .orderBy(asc(deadLetters.status), asc(deadLetters.nextRetryAt), asc(deadLetters.id))
        .limit(BATCH_SIZE)
        .for("update", { skipLocked: true });
      let retried = 0;
      for (const entry of due) {
        // Always reconcile first: an earlier attempt may have reached X.
        const moved = await transitionReply(tx, entry.replyId, "failed", "approved", {
          needsReconcile: true,
          scheduledAt: current,
          leaseUntil: null,
        });
        const reply = moved ?? (await findReply(tx, entry.replyId));
        let status: DeadLetterStatus = "retrying";
        if (reply?.status === "published") status = "retried_successfully";
        else if (!reply || reply.status === "rejected" || reply.status === "expired") status = "discarded";
        // A reply already approved or publishing is on its way: the publisher settles the entry.
        await tx
          .update(deadLetters)
          .set({ status, nextRetryAt: null, updatedAt: current })
          .where(eq(deadLetters.id, entry.id));
        if (status === "retrying") retried++;
        else logger.warn({ deadLetter: entry.id, replyId: entry.replyId, reply: reply?.status }, "dead letter settled without a retry");
      }
      return retried;
    });
  }

  /**
   * Settles `retrying` entries whose reply already finished without the publisher reporting it
   * (a publisher wired without this queue): published → success, failed → one more failed retry.
   */
  async function settleStale(): Promise<{ settled: number; exhausted: DeadLetter[] }> {
    const stale = await db
      .select({ entry: deadLetters, reply: { status: replies.status, failureReason: replies.failureReason } })
      .from(deadLetters)
      .innerJoin(replies, eq(replies.id, deadLetters.replyId))
      .where(and(eq(deadLetters.status, "retrying"), inArray(replies.status, ["published", "failed"])))
      .limit(BATCH_SIZE);
    const exhausted: DeadLetter[] = [];
    for (const { entry, reply } of stale) {
      if (reply.status === "published") {
        await resolve(entry.replyId);
        continue;
      }
      const written = await db.transaction((tx) =>
        record(
          {
            replyId: entry.replyId,
            accountId: entry.accountId,
            error: reply.failureReason ?? entry.error,
            errorType: entry.errorType,
            retryable: entry.retryable,
          },
          tx,
        ),
      );
      if (written.status === "exhausted") exhausted.push(written);
    }
    return { settled: stale.length, exhausted };
  }

  let running: Promise<DeadLetterRunResult> | undefined;
  let again = false;

  async function runOnce(): Promise<DeadLetterRunResult> {
    const result: DeadLetterRunResult = { retried: 0, settled: 0 };
    const stale = await settleStale();
    result.settled = stale.settled;
    for (const entry of stale.exhausted) afterCommit(entry);
    for (;;) {
      const claimed = await claimDue();
      result.retried += claimed;
      if (claimed < BATCH_SIZE) break;
      // PGlite runs on the main thread: let timers and polling breathe between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (result.retried > 0 || result.settled > 0) {
      logger.info(result, "dead-letter retries handed to the publisher");
      await deps.onChange();
      if (deps.publisher) await deps.publisher.runOnce();
    }
    return result;
  }

  /**
   * The worker: settles stale `retrying` entries, claims every due `pending` entry and hands its
   * reply back to the publisher (then runs the publisher, when given). Runs are serialised
   * in-process; a call during a run joins it and makes it look once more.
   */
  function runDue(): Promise<DeadLetterRunResult> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      const total: DeadLetterRunResult = { retried: 0, settled: 0 };
      try {
        do {
          again = false;
          const result = await runOnce();
          total.retried += result.retried;
          total.settled += result.settled;
        } while (again);
      } finally {
        running = undefined;
      }
      return total;
    })();
    return running;
  }

  async function find(id: number): Promise<DeadLetter | undefined> {
    const [row] = await db.select().from(deadLetters).where(eq(deadLetters.id, id));
    return row;
  }

  async function refusal(id: number, verb: string): Promise<DeadLetterActionResult> {
    const row = await find(id);
    if (!row) return { ok: false, message: `There is no dead letter #${id}.` };
    if (row.status === "retrying") return { ok: false, message: `#${id} is being retried right now; nothing to ${verb}.` };
    return { ok: false, message: `Already ${DEAD_LETTER_STATUS_WORDS[row.status]}.` };
  }

  return {
    settings,
    record,
    afterCommit,
    resolve,

    runDue,

    /**
     * An admin's "Retry now": a pending or exhausted entry becomes due now (its retry count is
     * kept, so an exhausted one gets exactly one more try). The worker runs in the background;
     * `done` settles when it (and the publisher, when given) has finished.
     */
    async retryNow(id: number): Promise<DeadLetterActionResult & { readonly done?: Promise<DeadLetterRunResult> }> {
      let entry: DeadLetter | undefined;
      try {
        [entry] = await db
          .update(deadLetters)
          .set({ status: "pending", nextRetryAt: now(), updatedAt: now() })
          .where(and(eq(deadLetters.id, id), inArray(deadLetters.status, ACTIONABLE)))
          .returning();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        return { ok: false, message: `Reply of #${id} already has an open dead letter.` };
      }
      if (!entry) return refusal(id, "retry");
      logger.info({ deadLetter: id, replyId: entry.replyId }, "dead letter retried by an admin");
      const done = runDue();
      done.catch((error: unknown) => logger.warn({ err: error, deadLetter: id }, "dead-letter retry run failed"));
      return { ok: true, entry, done };
    },

    /** An admin's "Discard": a pending or exhausted entry is dropped; its reply stays failed. */
    async discard(id: number): Promise<DeadLetterActionResult> {
      const [entry] = await db
        .update(deadLetters)
        .set({ status: "discarded", nextRetryAt: null, updatedAt: now() })
        .where(and(eq(deadLetters.id, id), inArray(deadLetters.status, ACTIONABLE)))
        .returning();
      if (!entry) return refusal(id, "discard");
      logger.info({ deadLetter: id, replyId: entry.replyId }, "dead letter discarded by an admin");
      return { ok: true, entry };
    },

    /** How many entries are in each status. */
    async summary(): Promise<DeadLetterSummary> {
      const rows = await db.select({ status: deadLetters.status, n: count() }).from(deadLetters).groupBy(deadLetters.status);
      const counts: DeadLetterSummary = { pending: 0, retrying: 0, retried_successfully: 0, exhausted: 0, discarded: 0 };
      for (const row of rows) counts[row.status] = row.n;
      return counts;
    },

    /** Open and exhausted entries: retrying, then pending by next retry, then exhausted newest first. */
    async list(limit: number): Promise<DeadLetterView[]> {
      const rows = await db
        .select({ entry: deadLetters, accountLabel: xAccounts.label, accountUsername: xAccounts.username })
        .from(deadLetters)
        .leftJoin(xAccounts, eq(xAccounts.id, deadLetters.accountId))
        .where(inArray(deadLetters.status, ["pending", "retrying", "exhausted"]))
        .orderBy(
          sql`case ${deadLetters.status} when 'retrying' then 0 when 'pending' then 1 else 2 end`,
          asc(deadLetters.nextRetryAt),
          desc(deadLetters.updatedAt),
          desc(deadLetters.id),
        )
        .limit(limit);
      return rows.map(({ entry, accountLabel, accountUsername }) => ({ ...entry, accountLabel, accountUsername }));
    },

    /** One entry. */
    find,
  };
}

/** The dead-letter queue's interface. */
export type DeadLetters = ReturnType<typeof createDeadLetters>;

/** What the publisher needs of the queue. */
export type DeadLetterRecorder = Pick<DeadLetters, "record" | "afterCommit" | "resolve">;
