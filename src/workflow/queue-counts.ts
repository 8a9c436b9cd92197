import { count, inArray } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { replies } from "../db/schema.js";
import { QUEUE_STATUSES, type QueueStatus } from "./queue-view.js";

/** How many replies sit in each open status: awaiting approval, approved (scheduled), publishing. */
export async function queueCounts(db: Database): Promise<Record<QueueStatus, number>> {
  const rows = await db
    .select({ status: replies.status, n: count() })
    .from(replies)
    .where(inArray(replies.status, [...QUEUE_STATUSES]))
    .groupBy(replies.status);
  const counts: Record<QueueStatus, number> = { awaiting_approval: 0, approved: 0, publishing: 0 };
  for (const row of rows) {
    const status = QUEUE_STATUSES.find((open) => open === row.status);
    if (status !== undefined) counts[status] = row.n;
  }
  return counts;
}
