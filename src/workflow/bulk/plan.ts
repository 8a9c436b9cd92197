import { and, asc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { approvalBatchItems, posts, replies } from "../../db/schema.js";
import type { XAccountRow } from "../accounts.js";
import type { AccountStrategy } from "../publish/account-choice.js";
import type { RuntimeSettings } from "../settings.js";
import { estimatePublishWindow } from "./estimate.js";
import type { BatchSkipReason, DraftWithPost } from "./validate.js";

/** What a confirmation states before anything changes. */
export interface BatchPlan {
  readonly batchId: number;
  readonly kind: "approve" | "reject";
  /** Drafts the batch will approve (or reject). */
  readonly count: number;
  readonly skipped: readonly { readonly replyId: number; readonly reason: BatchSkipReason }[];
  /** Replies bound to one account (their post summoned it), by account. */
  readonly bound: readonly { readonly account: string; readonly count: number }[];
  /** Replies any account may post, and how the pool shares them. */
  readonly free: { readonly count: number; readonly strategy: AccountStrategy; readonly accounts: readonly string[] };
  /** Earliest and latest publish time given the delays, gaps, limits and quiet hours; undefined when nothing goes out. */
  readonly window: { readonly earliest: Date; readonly latest: Date } | undefined;
}

/** The drafts awaiting approval (with their posts), or those of one batch, in id order. */
export async function draftsWithPosts(db: Database, batchId?: number): Promise<DraftWithPost[]> {
  const where =
    batchId === undefined
      ? eq(replies.status, "awaiting_approval")
      : inArray(
          replies.id,
          db.select({ id: approvalBatchItems.replyId }).from(approvalBatchItems).where(eq(approvalBatchItems.batchId, batchId)),
        );
  return db
    .select({ reply: replies, post: posts })
    .from(replies)
    .innerJoin(posts, eq(posts.tweetId, replies.postTweetId))
    .where(and(where))
    .orderBy(asc(replies.id));
}

/** The name an account goes by in messages. */
export function accountName(row: Pick<XAccountRow, "username" | "label">): string {
  return row.username ? `@${row.username}` : row.label;
}

/**
 * The confirmation's facts for the drafts that go ahead: bound replies counted by account, free ones given to the
 * pool's active accounts (spread evenly, as the claims will), and the publish window that makes.
 */
export function describePlan(input: {
  readonly batchId: number;
  readonly kind: "approve" | "reject";
  readonly going: readonly DraftWithPost[];
  readonly skipped: BatchPlan["skipped"];
  readonly rows: readonly XAccountRow[];
  readonly strategy: AccountStrategy;
  readonly settings: RuntimeSettings;
  readonly timeZone: string;
  readonly now: Date;
}): BatchPlan {
  const active = input.rows.filter((row) => row.status === "active");
  const perAccount = new Map(active.map((row) => [row.id, 0]));
  const boundCounts = new Map<number, number>();
  let free = 0;
  for (const { reply } of input.going) {
    if (reply.boundAccountId === null) free++;
    else boundCounts.set(reply.boundAccountId, (boundCounts.get(reply.boundAccountId) ?? 0) + 1);
  }
  for (const [id, count] of boundCounts) if (perAccount.has(id)) perAccount.set(id, count);
  for (let index = 0; index < free && active.length > 0; index++) {
    const [leastId] = [...perAccount.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0])[0]!;
    perAccount.set(leastId, perAccount.get(leastId)! + 1);
  }
  const names = new Map(input.rows.map((row) => [row.id, accountName(row)]));
  return {
    batchId: input.batchId,
    kind: input.kind,
    count: input.going.length,
    skipped: input.skipped,
    bound: [...boundCounts].map(([id, count]) => ({ account: names.get(id) ?? `#${id}`, count })),
    free: { count: free, strategy: input.strategy, accounts: active.map(accountName) },
    window:
      input.kind === "approve"
        ? estimatePublishWindow({ now: input.now, settings: input.settings, timeZone: input.timeZone, perAccount: [...perAccount.values()] })
        : undefined,
  };
}
