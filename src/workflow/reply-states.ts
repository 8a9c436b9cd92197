import type { replies, ReplyStatus } from "../db/schema.js";

/** A reply row as stored. */
export type Reply = typeof replies.$inferSelect;

/**
 * The allowed moves of a reply's status. A move to the same status (awaiting_approval →
 * awaiting_approval) is an edit or a regenerated draft. Nothing leaves published, rejected or expired.
 * Each move is one file of workflow/replies/, written through the guarded UPDATE that checks this table.
 *
 *   awaiting_approval ──approve──▶ approved ──claim──▶ publishing ──▶ published
 *          │  ▲ edit/regenerate                  ▲         │
 *          │  └────────────┘                     └─retry───┤ (ambiguous or transient outcome)
 *          ├──reject──▶ rejected                           └──▶ failed ──retry──▶ approved
 *          │  ▲ un-approve (a bulk batch cancelled before the claim): approved ──▶ awaiting_approval
 *          └──ttl─────▶ expired
 */
export const REPLY_TRANSITIONS = {
  awaiting_approval: ["approved", "rejected", "expired", "awaiting_approval", "cancelled"],
  approved: ["publishing", "approved", "cancelled", "awaiting_approval"],
  publishing: ["published", "approved", "failed", "cancelled", "awaiting_approval"],
  failed: ["approved", "cancelled"],
  published: [],
  rejected: [],
  expired: [],
  cancelled: [],
} as const satisfies Record<ReplyStatus, readonly ReplyStatus[]>;

/** True when a reply may move from `from` to `to`. */
export function canTransition(from: ReplyStatus, to: ReplyStatus): boolean {
  return (REPLY_TRANSITIONS[from] as readonly ReplyStatus[]).includes(to);
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
  cancelled: "cancelled (the author opted out)",
} as const satisfies Record<ReplyStatus, string>;
