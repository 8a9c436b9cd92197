import { and, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import type { WakeSignal } from "../../db/notifications.js";
import { rowFromJson } from "../../db/raw-rows.js";
import { replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { moveStatement } from "./transition.js";

/** An admin's approval of the draft version they saw on the card. */
export interface Approval {
  readonly id: number;
  readonly version: number;
  readonly by: number;
  readonly decidedAt: Date;
  readonly scheduledAt: Date;
}

/**
 * awaiting_approval → approved, only for the draft version the admin saw, only if it fits on X and has not
 * expired; undefined when any of that did not hold. One statement moves it, records the `approved` event and, given
 * `wake`, wakes the other replicas' publishers at its commit: nothing between the commit and the wake-up.
 */
export async function approveReply(db: Database, approval: Approval, wake?: WakeSignal): Promise<Reply | undefined> {
  const moved = db.$with("moved").as(
    moveStatement(
      db,
      "awaiting_approval",
      "approved",
      and(
        eq(replies.id, approval.id),
        eq(replies.version, approval.version),
        eq(replies.tooLong, false),
        gt(replies.expiresAt, approval.decidedAt),
      ),
      { decidedBy: approval.by, decidedAt: approval.decidedAt, scheduledAt: approval.scheduledAt },
    ),
  );
  const recorded = db
    .$with("recorded", { id: sql<number>`id` })
    .as(sql`insert into workflow_events (kind, reply_id, actor) select 'approved', id, ${approval.by}::bigint from moved returning id`);
  const [row] = await db
    .with(moved, recorded)
    .select({
      reply: sql<Record<string, unknown>>`to_jsonb(moved)`,
      ...(wake ? { woke: sql`pg_notify(${wake.channel}, ${wake.payload})` } : {}),
    })
    .from(moved);
  return row && rowFromJson(replies, row.reply);
}
