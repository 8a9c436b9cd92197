import { and, desc, eq, inArray, isNull } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { approvalBatches, approvalBatchItems, type ApprovalBatchKind, type BatchItemState } from "../../db/schema.js";
import type { XAccounts } from "../accounts.js";
import type { AccountStrategy } from "../publish/account-choice.js";
import { approveReply } from "../replies/approve-reply.js";
import { rejectReply } from "../replies/reject-reply.js";
import { unapproveBatchReplies } from "../replies/unapprove-batch.js";
import { computePublishTime } from "../schedule.js";
import type { SettingsStore } from "../settings.js";
import { recordEvent } from "../stats.js";
import { describePlan, draftsWithPosts, type BatchPlan } from "./plan.js";
import { batchView, type BatchProgress, type BatchView } from "./progress.js";
import { createSelection } from "./selection.js";
import { tallyBatch } from "./tally.js";
import { findSkips } from "./validate.js";

/** What the bulk actions need. */
export interface BulkDeps {
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly settings: SettingsStore;
  readonly progress: BatchProgress;
  readonly strategy: AccountStrategy;
  readonly timeZone: string;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly wakePublisher?: () => void;
  readonly redrawCards?: () => void;
}

/** A bulk action done, or refused with a short reason. */
export type BulkResult<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly message: string };

const STATUS_REFUSALS = {
  selecting: "This selection was not confirmed yet.",
  planned: "This batch was not confirmed yet.",
  running: "This batch is already running.",
  done: "This batch is already done.",
  dropped: "This batch was cancelled; nothing changed.",
} as const;

/**
 * Bulk decisions from /queue. A batch is planned first (its drafts checked and stored, nothing changed), confirmed
 * once (a guarded move of the batch row), then each draft is approved (or rejected) by the same guarded move a card
 * uses, for the version the confirmation covered: a second batch or a card press changes nothing twice. The
 * publisher assigns each reply its account at claim time, as for any reply. Cancel un-approves what no attempt
 * holds. After a change the batch itself wakes the publisher and redraws the cards and its message.
 */
export function createBulkApproval(deps: BulkDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const selection = createSelection(db);

  /** Stores the checks of the batch's drafts (all awaiting drafts, or the selection) and describes what will happen. */
  async function plan(batchId: number, kind: ApprovalBatchKind): Promise<BatchPlan> {
    const drafts = await draftsWithPosts(db, batchId);
    const at = now();
    const skips = await findSkips(deps, drafts, at, { kind, readX: true });
    await db.transaction(async (tx) => {
      for (const [replyId, reason] of skips) {
        await tx
          .update(approvalBatchItems)
          .set({ state: "skipped", reason })
          .where(and(eq(approvalBatchItems.batchId, batchId), eq(approvalBatchItems.replyId, replyId)));
      }
    });
    return describePlan({
      batchId,
      kind,
      going: drafts.filter(({ reply }) => !skips.has(reply.id)),
      skipped: [...skips].map(([replyId, reason]) => ({ replyId, reason })),
      rows: await deps.accounts.rows(),
      strategy: deps.strategy,
      settings: await deps.settings.current(),
      timeZone: deps.timeZone,
      now: at,
    });
  }

  /** Why a batch move did not apply. */
  async function refusal(batchId: number): Promise<{ ok: false; message: string }> {
    const [row] = await db.select().from(approvalBatches).where(eq(approvalBatches.id, batchId));
    if (!row) return { ok: false, message: "This batch no longer exists." };
    if (row.status === "running" && row.cancelledAt) return { ok: false, message: "Already cancelled: the replies being published finish." };
    return { ok: false, message: STATUS_REFUSALS[row.status] };
  }

  async function setItem(tx: Database, batchId: number, replyId: number, state: BatchItemState, reason: string | null = null) {
    await tx
      .update(approvalBatchItems)
      .set({ state, reason })
      .where(and(eq(approvalBatchItems.batchId, batchId), eq(approvalBatchItems.replyId, replyId)));
  }

  return {
    selection,

    /** Plans a batch over every draft awaiting approval ("Approve all", "Reject all"); nothing changes yet. */
    async prepareAll(kind: ApprovalBatchKind, by: number): Promise<BatchPlan> {
      const drafts = await draftsWithPosts(db);
      const batchId = await db.transaction(async (tx) => {
        const [batch] = await tx.insert(approvalBatches).values({ kind, status: "planned", createdBy: by }).returning();
        if (drafts.length > 0) {
          await tx
            .insert(approvalBatchItems)
            .values(drafts.map(({ reply }) => ({ batchId: batch!.id, replyId: reply.id, version: reply.version, state: "selected" as const })));
        }
        return batch!.id;
      });
      return plan(batchId, kind);
    },

    /** Plans the drafts toggled in selection `batchId` ("Approve selected"); nothing changes yet. */
    async prepareSelection(batchId: number): Promise<BulkResult<{ plan: BatchPlan }>> {
      const [moved] = await db
        .update(approvalBatches)
        .set({ status: "planned" })
        .where(and(eq(approvalBatches.id, batchId), eq(approvalBatches.status, "selecting")))
        .returning();
      if (!moved) return refusal(batchId);
      return { ok: true, plan: await plan(batchId, moved.kind) };
    },

    /** Drops a planned batch or a selection (the confirmation's Cancel): nothing changed, nothing will. */
    async dismiss(batchId: number): Promise<BulkResult<object>> {
      const [moved] = await db
        .update(approvalBatches)
        .set({ status: "dropped", finishedAt: now() })
        .where(and(eq(approvalBatches.id, batchId), inArray(approvalBatches.status, ["planned", "selecting"])))
        .returning();
      return moved ? { ok: true } : refusal(batchId);
    },

    /**
     * Confirms a planned batch, once: each draft still as the confirmation saw it is approved (scheduled by the
     * delays and quiet hours) or rejected; the others are skipped with their reason. `message` is the confirmation,
     * which becomes the batch's progress message.
     */
    async confirm(batchId: number, by: number, message: { chatId: number; messageId: number }): Promise<BulkResult<{ decided: number; skipped: number }>> {
      const startedAt = now();
      const [batch] = await db
        .update(approvalBatches)
        .set({ status: "running", startedAt, chatId: message.chatId, messageId: message.messageId })
        .where(and(eq(approvalBatches.id, batchId), eq(approvalBatches.status, "planned")))
        .returning();
      if (!batch) return refusal(batchId);
      const items = await db
        .select()
        .from(approvalBatchItems)
        .where(and(eq(approvalBatchItems.batchId, batchId), eq(approvalBatchItems.state, "selected")));
      const versions = new Map(items.map((item) => [item.replyId, item.version]));
      const drafts = (await draftsWithPosts(db, batchId)).filter(({ reply }) => versions.has(reply.id));
      const skips = await findSkips(deps, drafts, startedAt, { kind: batch.kind, readX: false });
      const settings = await deps.settings.current();
      let decided = 0;
      for (const { reply } of drafts) {
        const version = versions.get(reply.id)!;
        const skip = skips.get(reply.id);
        const moved = await db.transaction(async (tx) => {
          if (skip) return setItem(tx, batchId, reply.id, "skipped", skip).then(() => false);
          const decision = { id: reply.id, version, by, decidedAt: startedAt };
          const done =
            batch.kind === "approve"
              ? await approveReply(tx, {
                  ...decision,
                  scheduledAt: computePublishTime({ now: startedAt, ...settings, timeZone: deps.timeZone, random: deps.random }),
                })
              : await rejectReply(tx, decision);
          if (done) await setItem(tx, batchId, reply.id, batch.kind === "approve" ? "approved" : "rejected");
          else await setItem(tx, batchId, reply.id, "skipped", "already_decided");
          return done !== undefined;
        });
        if (!moved) continue;
        decided++;
        // An approval records its own event in its statement.
        if (batch.kind === "reject") await recordEvent(db, { kind: "rejected", replyId: reply.id, actor: by });
      }
      // Committed: the publisher starts before Telegram is asked to redraw anything.
      if (decided > 0 && batch.kind === "approve") deps.wakePublisher?.();
      deps.redrawCards?.();
      await deps.progress.refresh();
      return { ok: true, decided, skipped: drafts.length - decided };
    },

    /** Cancel on a running batch: its replies no attempt holds go back to awaiting approval; the others finish. */
    async cancel(batchId: number): Promise<BulkResult<{ unapproved: number }>> {
      const [batch] = await db
        .update(approvalBatches)
        .set({ cancelledAt: now() })
        .where(and(eq(approvalBatches.id, batchId), eq(approvalBatches.status, "running"), isNull(approvalBatches.cancelledAt)))
        .returning();
      if (!batch) return refusal(batchId);
      const ids = await db.transaction(async (tx) => {
        const moved = await unapproveBatchReplies(tx, batchId);
        if (moved.length > 0) {
          await tx
            .update(approvalBatchItems)
            .set({ state: "cancelled" })
            .where(and(eq(approvalBatchItems.batchId, batchId), inArray(approvalBatchItems.replyId, moved)));
        }
        return moved;
      });
      deps.redrawCards?.();
      await deps.progress.refresh();
      return { ok: true, unapproved: ids.length };
    },

    /** The batch as its message shows it; undefined when unknown. */
    async view(batchId: number): Promise<BatchView | undefined> {
      const [row] = await db.select().from(approvalBatches).where(eq(approvalBatches.id, batchId));
      return row ? batchView(row, await tallyBatch(db, batchId)) : undefined;
    },

    /** The last `limit` finished batches, newest first, with their stored summaries (for /queue). */
    async recent(limit: number): Promise<BatchView[]> {
      const rows = await db.select().from(approvalBatches).where(eq(approvalBatches.status, "done")).orderBy(desc(approvalBatches.id)).limit(limit);
      return rows.map((row) => batchView(row, { total: 0, lines: [] }));
    },
  };
}

/** The bulk actions' interface. */
export type BulkApproval = ReturnType<typeof createBulkApproval>;
