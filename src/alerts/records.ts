/** A stored alert and the view of it the channels render. */
import type { alerts } from "../db/schema.js";
import type { AlertView } from "./format.js";
import { isAlertLevel } from "./types.js";

/** A stored alert. */
export type AlertRecord = typeof alerts.$inferSelect;

/** The channels' view of a stored alert (an unknown stored level reads as `error`). */
export function alertView(row: AlertRecord): AlertView {
  return {
    id: row.id,
    type: row.type,
    level: isAlertLevel(row.level) ? row.level : "error",
    key: row.dedupKey,
    message: row.message,
    details: row.details,
    occurredAt: row.occurredAt,
    repeatCount: row.repeatCount,
    lastRepeatAt: row.lastRepeatAt,
  };
}
