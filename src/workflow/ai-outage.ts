/**
 * Whether drafting is in an AI outage, kept in `app_state` so that exactly one alert marks its start and one its
 * end, across passes, restarts and replicas: only the run whose insert (or delete) wins tells anyone.
 */
import { eq } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { appState } from "../db/schema.js";

/** The `app_state` key of an ongoing AI outage. */
export const AI_OUTAGE_KEY = "ai_outage";

/** Records that an outage started at `since`; true when this call started it (it was not already on). */
export async function startAiOutage(db: Database, since: Date): Promise<boolean> {
  const inserted = await db
    .insert(appState)
    .values({ key: AI_OUTAGE_KEY, value: { since: since.toISOString() } })
    .onConflictDoNothing()
    .returning({ key: appState.key });
  return inserted.length > 0;
}

/** Ends an ongoing outage; its start when this call ended it, undefined when none was on. */
export async function endAiOutage(db: Database): Promise<Date | undefined> {
  const [row] = await db.delete(appState).where(eq(appState.key, AI_OUTAGE_KEY)).returning({ value: appState.value });
  if (!row) return undefined;
  const since = (row.value as { since?: unknown }).since;
  const at = typeof since === "string" ? new Date(since) : undefined;
  return at !== undefined && !Number.isNaN(at.getTime()) ? at : new Date(0);
}

/** Whether an outage is on. */
export async function isAiOutage(db: Database): Promise<boolean> {
  const rows = await db.select({ key: appState.key }).from(appState).where(eq(appState.key, AI_OUTAGE_KEY));
  return rows.length > 0;
}
