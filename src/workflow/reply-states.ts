import { and, eq, sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { replies, type ReplyStatus } from "../db/schema.js";

/** A reply row as stored. */
export type Reply = typeof replies.$inferSelect;

/**
 * The allowed moves of a reply's status. A move to the same status (awaiting_approval →
 * awaiting_approval) is an edit or a regenerated draft. Nothing leaves published, rejected or expired.
 *
 *   awaiting_approval ──approve──▶ approved ──claim──▶ publishing ──▶ published
 *          │  ▲ edit/regenerate                  ▲         │
 *          │  └────────────┘                     └─retry───┤ (ambiguous or transient outcome)
 *          ├──reject──▶ rejected                           └──▶ failed ──retry──▶ approved
 *          └──ttl─────▶ expired
 */
export const REPLY_TRANSITIONS = {
  awaiting_approval: ["approved", "rejected", "expired", "awaiting_approval"],
  approved: ["publishing"],
  publishing: ["published", "approved", "failed"],
  failed: ["approved"],
  published: [],
  rejected: [],
  expired: [],
} as const satisfies Record<ReplyStatus, readonly ReplyStatus[]>;

/** True when a reply may move from `from` to `to`. */
export function canTransition(from: ReplyStatus, to: ReplyStatus): boolean {
  return (REPLY_TRANSITIONS[from] as readonly ReplyStatus[]).includes(to);
}

/** The columns a transition may set besides the status (the version is bumped automatically). */
export type ReplyPatch = Partial<
  Omit<typeof replies.$inferInsert, "id" | "status" | "version" | "postTweetId" | "createdAt" | "updatedAt">
>;

/**
 * Moves one reply from `from` to `to` with a conditional UPDATE, so a double tap, a stale card or a
 * second replica cannot apply a move twice. Resolves with the updated row, or undefined when the
 * reply was not in `from` (or `extra` did not hold): the caller then reads the reply to explain why.
 */
export async function transitionReply(
  db: Database,
  id: number,
  from: ReplyStatus,
  to: ReplyStatus,
  patch: ReplyPatch = {},
  extra?: SQL,
): Promise<Reply | undefined> {
  if (!canTransition(from, to)) throw new Error(`reply status cannot move from ${from} to ${to}`);
  const conditions = [eq(replies.id, id), eq(replies.status, from)];
  if (extra) conditions.push(extra);
  const [row] = await db
    .update(replies)
    .set({ ...patch, status: to, version: sql`${replies.version} + 1`, updatedAt: sql`now()` })
    .where(and(...conditions))
    .returning();
  return row;
}

/** Reads one reply. */
export async function findReply(db: Database, id: number): Promise<Reply | undefined> {
  const [row] = await db.select().from(replies).where(eq(replies.id, id));
  return row;
}

/** How a status reads in an answer to a button press ("already approved"). */
export const STATUS_WORDS = {
  awaiting_approval: "awaiting approval",
  approved: "approved",
  publishing: "being published",
  published: "published",
  failed: "failed",
  rejected: "rejected",
  expired: "expired",
} as const satisfies Record<ReplyStatus, string>;
