/** Old delivered and merged alerts and old delivery rows are deleted, at most once an hour. */
import { and, lt, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { alertDeliveries, alerts } from "../db/schema.js";

/** Delivered and merged alerts and delivery rows are kept this long (and the statistics cover it). */
export const ALERT_RETENTION_DAYS = 30;
const PRUNE_EVERY_MS = 3_600_000;

/** Deletes what is past {@link ALERT_RETENTION_DAYS}, unless it did so within the hour. */
export function createPruner(db: Database, now: () => Date): () => Promise<void> {
  let lastPruneAt = 0;
  return async () => {
    const at = now().getTime();
    if (at - lastPruneAt < PRUNE_EVERY_MS) return;
    lastPruneAt = at;
    const before = new Date(at - ALERT_RETENTION_DAYS * 86_400_000);
    await db.delete(alerts).where(and(sql`${alerts.status} in ('delivered', 'merged')`, lt(alerts.occurredAt, before)));
    await db.delete(alertDeliveries).where(lt(alertDeliveries.at, before));
  };
}
