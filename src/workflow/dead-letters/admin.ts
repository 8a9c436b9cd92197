import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { traceOfReply } from "./trace.js";
import type { Database } from "../../db/database.js";
import { errorCode, findInChain } from "../../kit/error-chain.js";
import { deadLetters, xAccounts, type DeadLetterStatus } from "../../db/schema.js";
import type { Logger } from "../../logger.js";
import type { DeadLetter, DeadLetterActionResult, DeadLetterRunResult, DeadLetterSummary, DeadLetterView } from "./entries.js";

/** How a status reads in an answer to a button press ("already discarded"). */
export const DEAD_LETTER_STATUS_WORDS = {
  pending: "waiting for its retry",
  retrying: "being retried",
  retried_successfully: "retried successfully",
  exhausted: "exhausted",
  discarded: "discarded",
} as const satisfies Record<DeadLetterStatus, string>;

/** The statuses an entry can be retried or discarded from by an admin. */
const ACTIONABLE: DeadLetterStatus[] = ["pending", "exhausted"];

function isUniqueViolation(error: unknown): boolean {
  return findInChain(error, (link) => errorCode(link) === "23505") !== undefined;
}

/** What the admin side needs. */
export interface AdminDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Runs the worker (and through it the publisher). */
  readonly runDue: () => Promise<DeadLetterRunResult>;
  /** Redraws the cards of the replies that changed. */
  readonly onChange: () => Promise<unknown>;
}

/** /dlq's side of the queue: reads (summary, list, find) and the Retry now / Discard buttons. */
export function createDeadLetterAdmin(deps: AdminDeps) {
  const { db, logger, now } = deps;

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
    /**
     * An admin's "Retry now": a pending or exhausted entry becomes due now (its retry count is
     * kept, so an exhausted one gets exactly one more try). The worker runs in the background (it
     * wakes the publisher, then redraws the cards); `done` settles when it has finished.
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
      const log = logger.child({ trace: await traceOfReply(db, entry.replyId) });
      log.info({ deadLetter: id, replyId: entry.replyId }, "dead letter retried by an admin");
      const done = deps.runDue();
      done.catch((error: unknown) => log.warn({ err: error, deadLetter: id }, "dead-letter retry run failed"));
      return { ok: true, entry, done };
    },

    /** An admin's "Discard": a pending or exhausted entry is dropped; its reply stays failed (its card is brought up to date). */
    async discard(id: number): Promise<DeadLetterActionResult> {
      const [entry] = await db
        .update(deadLetters)
        .set({ status: "discarded", nextRetryAt: null, updatedAt: now() })
        .where(and(eq(deadLetters.id, id), inArray(deadLetters.status, ACTIONABLE)))
        .returning();
      if (!entry) return refusal(id, "discard");
      const log = logger.child({ trace: await traceOfReply(db, entry.replyId) });
      log.info({ deadLetter: id, replyId: entry.replyId }, "dead letter discarded by an admin");
      deps.onChange().catch((error: unknown) => log.warn({ err: error, deadLetter: id }, "cards not redrawn after a discard"));
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
