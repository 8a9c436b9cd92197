import { eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { approvalBatchItems, replies, xAccounts } from "../../db/schema.js";
import { requiredAccount } from "../replies/claim-replies.js";
import { BATCH_SKIP_WORDS, type BatchSkipReason } from "./validate.js";

/** Where one draft of a batch ended up (or is: `waiting` while it is approved or being published). */
export type BatchOutcome = "published" | "failed" | "skipped" | "cancelled" | "rejected" | "waiting";

/** Drafts of a batch with the same outcome, account and reason. */
export interface BatchTallyLine {
  readonly outcome: BatchOutcome;
  /** The account (as @username or label) that posted it, tried it, or alone may post it; "pool" while any may. */
  readonly account: string;
  /** Why: the skip reason in words, X's failure reason, or for a waiting reply the state of the account it waits for. */
  readonly reason: string | null;
  readonly count: number;
}

/** A batch's drafts counted by outcome, account and reason: the progress while it runs, the stored summary after. */
export interface BatchTally {
  readonly total: number;
  readonly lines: readonly BatchTallyLine[];
}

/** The drafts of a tally with this outcome. */
export function countOf(tally: BatchTally, outcome: BatchOutcome): number {
  return tally.lines.filter((line) => line.outcome === outcome).reduce((sum, line) => sum + line.count, 0);
}

type Reply = typeof replies.$inferSelect;

/** The outcome of an item the batch approved, from its reply as it is now. */
function replyOutcome(reply: Reply): BatchOutcome {
  switch (reply.status) {
    case "published":
      return "published";
    case "failed":
      return "failed";
    case "approved":
    case "publishing":
      return "waiting";
    case "rejected":
      return "rejected";
    default:
      // Opted out, expired, or back to review (the post was edited on X): not published by this batch.
      return "cancelled";
  }
}

/** Counts the drafts of batch `batchId` by outcome, account and reason, as they are now. */
export async function tallyBatch(db: Database, batchId: number): Promise<BatchTally> {
  const accountRows = await db.select().from(xAccounts);
  const names = new Map(accountRows.map((row) => [row.id, row.username ? `@${row.username}` : row.label]));
  const statuses = new Map(accountRows.map((row) => [row.id, row.status]));
  const items = await db
    .select({ item: approvalBatchItems, reply: replies })
    .from(approvalBatchItems)
    .innerJoin(replies, eq(replies.id, approvalBatchItems.replyId))
    .where(eq(approvalBatchItems.batchId, batchId));
  const lines = new Map<string, { outcome: BatchOutcome; account: string; reason: string | null; count: number }>();
  for (const { item, reply } of items) {
    let outcome: BatchOutcome;
    let accountId: number | null;
    let reason: string | null = null;
    if (item.state === "approved") {
      outcome = replyOutcome(reply);
      accountId = outcome === "waiting" && reply.status === "approved" ? requiredAccount(reply) : reply.accountId;
      if (outcome === "failed") reason = reply.failureReason;
      if (outcome === "waiting" && accountId !== null && statuses.get(accountId) !== "active") reason = `account ${statuses.get(accountId)}`;
    } else {
      outcome = item.state === "selected" ? "waiting" : item.state;
      accountId = reply.boundAccountId;
      if (item.state === "skipped") reason = BATCH_SKIP_WORDS[item.reason as BatchSkipReason] ?? item.reason;
      // Cancelled while waiting for its account: the summary says the account was down.
      if (item.state === "cancelled" && accountId !== null && statuses.get(accountId) !== "active") reason = `account ${statuses.get(accountId)}`;
    }
    const account = accountId === null ? "pool" : (names.get(accountId) ?? `#${accountId}`);
    const key = JSON.stringify([outcome, account, reason]);
    const line = lines.get(key) ?? { outcome, account, reason, count: 0 };
    line.count++;
    lines.set(key, line);
  }
  const order: BatchOutcome[] = ["published", "failed", "waiting", "skipped", "cancelled", "rejected"];
  const sorted = [...lines.values()].sort(
    (a, b) => order.indexOf(a.outcome) - order.indexOf(b.outcome) || a.account.localeCompare(b.account) || b.count - a.count,
  );
  return { total: items.length, lines: sorted };
}
