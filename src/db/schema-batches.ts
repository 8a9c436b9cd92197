import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, primaryKey, serial, text, timestamp } from "drizzle-orm/pg-core";
import { jsonb } from "./json-column.js";

/**
 * Where a batch stands: `selecting` (the admin toggles drafts in /queue), `planned` (the confirmation is shown,
 * nothing changed yet), `running` (its replies were approved and are on their way), `done` (summary stored),
 * `dropped` (the confirmation was cancelled: nothing changed).
 */
export type ApprovalBatchStatus = "selecting" | "planned" | "running" | "done" | "dropped";

/** What a batch does to its drafts. */
export type ApprovalBatchKind = "approve" | "reject";

/** Bulk decisions from /queue ("Approve all", "Approve selected", "Reject all"), one row per batch. */
export const approvalBatches = pgTable(
  "approval_batches",
  {
    id: serial("id").primaryKey(),
    kind: text("kind").$type<ApprovalBatchKind>().notNull(),
    status: text("status").$type<ApprovalBatchStatus>().notNull(),
    createdBy: bigint("created_by", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    startedAt: timestamp("started_at", { withTimezone: true }),
    /** Set by Cancel: what was not claimed yet went back to awaiting approval. */
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** The confirmation message, edited in place into the progress and then the summary. */
    chatId: bigint("chat_id", { mode: "number" }),
    messageId: integer("message_id"),
    /** The last edit of that message (at most one per 3 s, whichever replica makes it). */
    progressEditedAt: timestamp("progress_edited_at", { withTimezone: true }),
    /** The summary stored when the batch is done (`BatchTally`). */
    summary: jsonb("summary"),
  },
  (table) => [index("approval_batches_status_idx").on(table.status, table.id)],
);

/** What became of one draft of a batch at the batch's own steps (its publication is read from the reply). */
export type BatchItemState = "selected" | "approved" | "rejected" | "skipped" | "cancelled";

/** The drafts of a batch, with the version the admin's confirmation covered. */
export const approvalBatchItems = pgTable(
  "approval_batch_items",
  {
    batchId: integer("batch_id")
      .notNull()
      .references(() => approvalBatches.id, { onDelete: "cascade" }),
    replyId: integer("reply_id").notNull(),
    version: integer("version").notNull(),
    state: text("state").$type<BatchItemState>().notNull(),
    /** Why it was skipped (`BatchSkipReason`). */
    reason: text("reason"),
  },
  (table) => [primaryKey({ columns: [table.batchId, table.replyId] }), index("approval_batch_items_reply_idx").on(table.replyId)],
);
