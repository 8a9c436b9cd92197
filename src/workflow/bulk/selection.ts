import { and, asc, count, eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { approvalBatches, approvalBatchItems, posts, replies } from "../../db/schema.js";

/** One draft of a selection page. */
export interface SelectionEntry {
  readonly replyId: number;
  readonly author: string;
  readonly draft: string;
  readonly selected: boolean;
}

/** One page of the drafts awaiting approval, with what is selected. */
export interface SelectionPage {
  readonly batchId: number;
  /** Drafts selected in all (over every page). */
  readonly selected: number;
  readonly page: number;
  readonly pages: number;
  readonly entries: readonly SelectionEntry[];
}

/** The selection mode of /queue: a batch in `selecting` whose items are the drafts toggled on, page by page. */
export function createSelection(db: Database) {
  /** Whether the batch is still a selection. */
  async function isSelecting(batchId: number): Promise<boolean> {
    const [row] = await db.select({ status: approvalBatches.status }).from(approvalBatches).where(eq(approvalBatches.id, batchId));
    return row?.status === "selecting";
  }

  async function selectedCount(batchId: number): Promise<number> {
    const [row] = await db.select({ n: count() }).from(approvalBatchItems).where(eq(approvalBatchItems.batchId, batchId));
    return row?.n ?? 0;
  }

  return {
    /** Starts an empty selection; resolves with its batch id. */
    async start(by: number): Promise<number> {
      const [row] = await db.insert(approvalBatches).values({ kind: "approve", status: "selecting", createdBy: by }).returning();
      return row!.id;
    },

    /**
     * Selects a draft (the version it has now) or unselects it. Refused when the selection was confirmed or dropped,
     * or the draft no longer awaits approval.
     */
    async toggle(batchId: number, replyId: number): Promise<{ ok: true; selected: boolean } | { ok: false; message: string }> {
      if (!(await isSelecting(batchId))) return { ok: false, message: "This selection is closed; open /queue again." };
      const where = and(eq(approvalBatchItems.batchId, batchId), eq(approvalBatchItems.replyId, replyId));
      const removed = await db.delete(approvalBatchItems).where(where).returning();
      if (removed.length > 0) return { ok: true, selected: false };
      const [reply] = await db.select().from(replies).where(eq(replies.id, replyId));
      if (reply?.status !== "awaiting_approval") return { ok: false, message: "This draft no longer awaits approval." };
      await db.insert(approvalBatchItems).values({ batchId, replyId, version: reply.version, state: "selected" }).onConflictDoNothing();
      return { ok: true, selected: true };
    },

    /** The `page`-th page of `pageSize` drafts awaiting approval (clamped), each marked selected or not. */
    async page(batchId: number, page: number, pageSize: number): Promise<SelectionPage> {
      const [total] = await db.select({ n: count() }).from(replies).where(eq(replies.status, "awaiting_approval"));
      const pages = Math.max(1, Math.ceil((total?.n ?? 0) / pageSize));
      const current = Math.min(Math.max(0, page), pages - 1);
      const rows = await db
        .select({ reply: replies, post: posts, item: approvalBatchItems.replyId })
        .from(replies)
        .innerJoin(posts, eq(posts.tweetId, replies.postTweetId))
        .leftJoin(approvalBatchItems, and(eq(approvalBatchItems.replyId, replies.id), eq(approvalBatchItems.batchId, batchId)))
        .where(eq(replies.status, "awaiting_approval"))
        .orderBy(asc(replies.id))
        .limit(pageSize)
        .offset(current * pageSize);
      return {
        batchId,
        selected: await selectedCount(batchId),
        page: current,
        pages,
        entries: rows.map(({ reply, post, item }) => ({
          replyId: reply.id,
          author: post.authorUsername ? `@${post.authorUsername}` : post.authorId,
          draft: reply.draft,
          selected: item !== null,
        })),
      };
    },
  };
}

/** The selection mode's interface. */
export type Selection = ReturnType<typeof createSelection>;
