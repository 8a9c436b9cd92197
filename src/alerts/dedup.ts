/**
 * Deduplication: an alert of the same type and key as one delivered within the window before it is
 * folded into that one (`merged`, shown as "×N more"); pending repeats within the window after an
 * alert's own time are folded into it before it goes out. A reprocessed alert (forced channels) is
 * never folded: an admin asked for that very alert.
 */
import { and, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { alerts } from "../db/schema.js";
import type { AlertRecord } from "./records.js";

/** Folds repeats; nothing when the window is 0. */
export interface Dedup {
  /** Folds `row` (and its pending siblings) into an alert delivered within the window before it; how many were folded. */
  foldIntoDelivered(row: AlertRecord): Promise<number>;
  /** Folds pending repeats of `head` (within the window of its time) into it; `head` as updated. */
  absorbRepeats(head: AlertRecord): Promise<{ head: AlertRecord; merged: number }>;
}

/** A {@link Dedup} over `ALERT_DEDUP_WINDOW_SECONDS` (`windowMs`). */
export function createDedup(deps: { db: Database; windowMs: number; now: () => Date }): Dedup {
  const { db, windowMs, now } = deps;

  async function absorbRepeats(head: AlertRecord): Promise<{ head: AlertRecord; merged: number }> {
    if (windowMs <= 0) return { head, merged: 0 };
    return db.transaction(async (tx) => {
      const merged = await tx
        .update(alerts)
        .set({ status: "merged", mergedInto: head.id, updatedAt: now() })
        .where(
          and(
            eq(alerts.status, "pending"),
            eq(alerts.type, head.type),
            eq(alerts.dedupKey, head.dedupKey),
            gt(alerts.id, head.id),
            lt(alerts.occurredAt, new Date(head.occurredAt.getTime() + windowMs)),
            isNull(alerts.forcedChannels),
          ),
        )
        .returning({ occurredAt: alerts.occurredAt });
      if (merged.length === 0) return { head, merged: 0 };
      const latest = Math.max(head.lastRepeatAt?.getTime() ?? 0, ...merged.map((row) => row.occurredAt.getTime()));
      const [updated] = await tx
        .update(alerts)
        .set({ repeatCount: sql`${alerts.repeatCount} + ${merged.length}`, lastRepeatAt: new Date(latest), updatedAt: now() })
        .where(eq(alerts.id, head.id))
        .returning();
      return { head: updated ?? head, merged: merged.length };
    });
  }

  return {
    async foldIntoDelivered(row) {
      if (windowMs <= 0 || row.forcedChannels !== null) return 0;
      // The time bound only narrows the lookup (alerts_dedup_idx): absorbRepeats applies the same window and decides.
      const [head] = await db
        .select()
        .from(alerts)
        .where(
          and(
            eq(alerts.type, row.type),
            eq(alerts.dedupKey, row.dedupKey),
            eq(alerts.status, "delivered"),
            lt(alerts.id, row.id),
            gt(alerts.occurredAt, new Date(row.occurredAt.getTime() - windowMs)),
          ),
        )
        .orderBy(desc(alerts.id))
        .limit(1);
      return head ? (await absorbRepeats(head)).merged : 0;
    },
    absorbRepeats,
  };
}
