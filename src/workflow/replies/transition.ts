import { and, eq, sql, type SQL } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies, type ReplyStatus } from "../../db/schema.js";
import { canTransition, type Reply } from "../reply-states.js";

/** How much of a failure reason a reply keeps (it is shown on the card, clipped with "…"). */
export const FAILURE_REASON_MAX = 300;

/** The columns a move may set besides the status (the version is bumped automatically); SQL for counters. */
export type ReplyPatch = {
  [K in keyof Omit<
    typeof replies.$inferInsert,
    "id" | "status" | "version" | "postTweetId" | "createdAt" | "updatedAt"
  >]?: (typeof replies.$inferInsert)[K] | SQL;
};

/** Throws when `REPLY_TRANSITIONS` has no move from `from` to `to`: such a write is a bug, never data. */
export function assertTransition(from: ReplyStatus, to: ReplyStatus): void {
  if (!canTransition(from, to)) throw new Error(`reply status cannot move from ${from} to ${to}`);
}

/**
 * The guarded UPDATE status moves go through: replies still in `from` (and matching `where`) move to `to`, their
 * version bumped, so a double tap, a stale card or a second replica cannot apply a move twice. Resolves with the
 * rows that moved. The two publish hot-path moves (claim-replies.ts, complete-replies.ts) are hand-written
 * statements with the same guard, version bump and `assertTransition`.
 */
export async function moveReplies(
  db: Database,
  from: ReplyStatus,
  to: ReplyStatus,
  where: SQL | undefined,
  patch: ReplyPatch = {},
): Promise<Reply[]> {
  return moveStatement(db, from, to, where, patch);
}

/**
 * The guarded UPDATE of {@link moveReplies}, not yet run, for a caller that makes it part of a larger statement
 * (a CTE beside what goes with the move).
 */
export function moveStatement(db: Database, from: ReplyStatus, to: ReplyStatus, where: SQL | undefined, patch: ReplyPatch = {}) {
  assertTransition(from, to);
  return db
    .update(replies)
    .set({ ...patch, status: to, version: sql`${replies.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(replies.status, from), where))
    .returning();
}

/**
 * Moves one reply from `from` to `to`. Resolves with the updated row, or undefined when the reply
 * was not in `from` (or `extra` did not hold): the caller then reads the reply to explain why.
 */
export async function transitionReply(
  db: Database,
  id: number,
  from: ReplyStatus,
  to: ReplyStatus,
  patch: ReplyPatch = {},
  extra?: SQL,
): Promise<Reply | undefined> {
  const [row] = await moveReplies(db, from, to, and(eq(replies.id, id), extra), patch);
  return row;
}
