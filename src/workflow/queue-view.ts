import { and, asc, count, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { posts, replies, xAccounts } from "../db/schema.js";
import { requiredAccount } from "./replies/claim-replies.js";

/** The reply statuses /queue lists: drafts awaiting approval and replies on their way to X. */
export const QUEUE_STATUSES = ["awaiting_approval", "approved", "publishing"] as const;

/** A reply status /queue lists. */
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

/** One open reply as /queue shows it. */
export interface QueueEntry {
  readonly replyId: number;
  readonly status: QueueStatus;
  readonly scheduledAt: Date | null;
  readonly draft: string;
  /** The post author's @username, or their id when the username is unknown. */
  readonly author: string;
  /**
   * The account it goes out from, as @username (or its label): the claiming account while
   * publishing, the only account that may publish it otherwise; undefined while any account may.
   */
  readonly account: string | undefined;
}

/** One page of the open replies, with the page number clamped to the pages that exist. */
export interface QueuePage {
  /** Open replies in all. */
  readonly total: number;
  /** Of those, drafts awaiting approval (what "Approve all" covers). */
  readonly awaiting: number;
  /** Posts skipped because their author did not mention us (X would refuse the reply). */
  readonly unanswerable: number;
  /** The page shown, counted from 0 (a page past the end shows the last one). */
  readonly page: number;
  /** Pages in all; at least 1, even when the queue is empty. */
  readonly pages: number;
  readonly entries: readonly QueueEntry[];
}

/** Reads the open replies for /queue: by status, then due time, then id. */
export function createQueueView(db: Database) {
  return {
    /** The `page`-th page of `pageSize` open replies; an out-of-range page is clamped. */
    async page(page: number, pageSize: number): Promise<QueuePage> {
      const [total] = await db.select({ n: count() }).from(replies).where(inArray(replies.status, [...QUEUE_STATUSES]));
      const [awaiting] = await db.select({ n: count() }).from(replies).where(eq(replies.status, "awaiting_approval"));
      const [unanswerable] = await db
        .select({ n: count() })
        .from(posts)
        .where(and(eq(posts.state, "skipped"), eq(posts.skipReason, "not_summoned")));
      const pages = Math.max(1, Math.ceil((total?.n ?? 0) / pageSize));
      const current = Math.min(Math.max(0, page), pages - 1);
      const rows = await db
        .select({ reply: replies, post: posts })
        .from(replies)
        .innerJoin(posts, eq(posts.tweetId, replies.postTweetId))
        .where(inArray(replies.status, [...QUEUE_STATUSES]))
        .orderBy(asc(replies.status), asc(replies.scheduledAt), asc(replies.id))
        .limit(pageSize)
        .offset(current * pageSize);
      const names = new Map(
        (await db.select().from(xAccounts)).map((row) => [row.id, row.username ? `@${row.username}` : row.label]),
      );
      const entries = rows.map(({ reply, post }) => {
        const accountId = reply.status === "publishing" ? reply.accountId : requiredAccount(reply);
        return {
          replyId: reply.id,
          status: reply.status as QueueStatus,
          scheduledAt: reply.scheduledAt,
          draft: reply.draft,
          author: post.authorUsername ? `@${post.authorUsername}` : post.authorId,
          account: accountId === null ? undefined : names.get(accountId),
        };
      });
      return { total: total?.n ?? 0, awaiting: awaiting?.n ?? 0, unanswerable: unanswerable?.n ?? 0, page: current, pages, entries };
    },
  };
}

/** The /queue read service. */
export type QueueView = ReturnType<typeof createQueueView>;
