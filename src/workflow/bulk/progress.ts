import { and, eq, isNull, lt, lte, or } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { approvalBatches, type ApprovalBatchKind, type ApprovalBatchStatus } from "../../db/schema.js";
import { singleFlight } from "../../kit/single-flight.js";
import type { Logger } from "../../logger.js";
import { countOf, tallyBatch, type BatchTally } from "./tally.js";

/** Telegram allows about 20 edits a minute in a group: one edit of a batch's message per 3 s at most. */
export const PROGRESS_EDIT_INTERVAL_MS = 3_000;

/** A batch as its progress (or summary) message shows it. */
export interface BatchView {
  readonly id: number;
  readonly kind: ApprovalBatchKind;
  readonly status: ApprovalBatchStatus;
  readonly cancelled: boolean;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly tally: BatchTally;
}

/** Where a batch's message is edited (drawn by bot/): throws when Telegram refused the edit. */
export interface BatchMessageSink {
  show(chatId: number, messageId: number, view: BatchView): Promise<void>;
}

/** What the progress keeper needs. */
export interface BatchProgressDeps {
  readonly db: Database;
  readonly sink: BatchMessageSink;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Least time between two edits of one batch's message (default {@link PROGRESS_EDIT_INTERVAL_MS}). */
  readonly editIntervalMs?: number;
}

/** The view of a batch row with its tally. */
export function batchView(row: typeof approvalBatches.$inferSelect, tally: BatchTally): BatchView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    cancelled: row.cancelledAt !== null,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    tally: row.status === "done" && row.summary ? (row.summary as BatchTally) : tally,
  };
}

/**
 * Keeps each running batch's message up to date: a batch with nothing left waiting is finished (its summary stored,
 * once, by a guarded move), and its message is edited at most once per interval, whichever replica asks (the last
 * edit time is on the row); an edit that is too soon is made once the interval has passed.
 */
export function createBatchProgress(deps: BatchProgressDeps) {
  const { db, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const interval = deps.editIntervalMs ?? PROGRESS_EDIT_INTERVAL_MS;
  const trailing = new Map<number, NodeJS.Timeout>();
  let pokeTimer: NodeJS.Timeout | undefined;
  let lastPass = 0;
  let stopped = false;

  /** Finishes the batch when nothing is left waiting; resolves with the row as it is now. */
  async function settle(batchId: number) {
    const [row] = await db.select().from(approvalBatches).where(eq(approvalBatches.id, batchId));
    if (!row) return undefined;
    const tally = await tallyBatch(db, batchId);
    if (row.status !== "running" || countOf(tally, "waiting") > 0) return { row, tally };
    const finishedAt = now();
    const [done] = await db
      .update(approvalBatches)
      .set({ status: "done", finishedAt, summary: tally })
      .where(and(eq(approvalBatches.id, batchId), eq(approvalBatches.status, "running")))
      .returning();
    return { row: done ?? row, tally };
  }

  /** Edits the batch's message unless it was edited less than an interval ago; then schedules the edit for later. */
  async function show(batchId: number): Promise<void> {
    const settled = await settle(batchId);
    if (!settled || settled.row.chatId === null || settled.row.messageId === null) return;
    const at = now();
    const [claimed] = await db
      .update(approvalBatches)
      .set({ progressEditedAt: at })
      .where(
        and(
          eq(approvalBatches.id, batchId),
          or(isNull(approvalBatches.progressEditedAt), lte(approvalBatches.progressEditedAt, new Date(at.getTime() - interval))),
        ),
      )
      .returning({ id: approvalBatches.id });
    if (!claimed) {
      later(batchId, settled.row.progressEditedAt ? settled.row.progressEditedAt.getTime() + interval - at.getTime() : interval);
      return;
    }
    try {
      await deps.sink.show(settled.row.chatId, settled.row.messageId, batchView(settled.row, settled.tally));
      // The interval counts from the edit's end: a slow edit must not bring the next one closer.
      await db.update(approvalBatches).set({ progressEditedAt: now() }).where(eq(approvalBatches.id, batchId));
    } catch (error) {
      logger.warn({ err: error, batchId }, "batch progress message not edited; the next change retries");
    }
  }

  function later(batchId: number, delayMs: number): void {
    if (stopped || trailing.has(batchId)) return;
    const timer = setTimeout(() => {
      trailing.delete(batchId);
      show(batchId).catch((error: unknown) => logger.warn({ err: error, batchId }, "batch progress failed"));
    }, Math.max(0, delayMs));
    timer.unref();
    trailing.set(batchId, timer);
  }

  const refresh = singleFlight(
    async () => {
      lastPass = now().getTime();
      // Running batches, and finished ones whose summary was not shown yet (its edit was held back).
      const open = await db
        .select({ id: approvalBatches.id })
        .from(approvalBatches)
        .where(
          or(
            eq(approvalBatches.status, "running"),
            and(
              eq(approvalBatches.status, "done"),
              or(isNull(approvalBatches.progressEditedAt), lt(approvalBatches.progressEditedAt, approvalBatches.finishedAt)),
            ),
          ),
        );
      for (const { id } of open) await show(id);
    },
    { rerun: true, combine: () => undefined },
  );

  return {
    /** Brings every running batch's message up to date now (finishing the batches with nothing left waiting). */
    refresh,

    /** Asks for a refresh without waiting; calls closer together than the interval are folded into one. */
    poke(): void {
      if (stopped || pokeTimer) return;
      pokeTimer = setTimeout(
        () => {
          pokeTimer = undefined;
          refresh().catch((error: unknown) => logger.warn({ err: error }, "batch progress failed"));
        },
        Math.max(0, lastPass + interval - now().getTime()),
      );
      pokeTimer.unref();
    },

    /** Cancels the edits scheduled for later (shutdown). */
    stop(): void {
      stopped = true;
      if (pokeTimer) clearTimeout(pokeTimer);
      for (const timer of trailing.values()) clearTimeout(timer);
      trailing.clear();
    },
  };
}

/** The progress keeper of the bulk batches. */
export type BatchProgress = ReturnType<typeof createBatchProgress>;
