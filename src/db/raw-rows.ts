import { getTableColumns, sql, type InferSelectModel, type SQL, type Table } from "drizzle-orm";
import type { Database } from "./database.js";

/**
 * The rows of a hand-written statement, whichever driver ran it: drizzle's postgres.js session answers with the
 * rows themselves, its PGlite session with `{ rows }`.
 */
export async function rawRows(db: Database, statement: SQL): Promise<Record<string, unknown>[]> {
  const result: unknown = await db.execute(statement);
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return (result as { rows: Record<string, unknown>[] }).rows;
}

/**
 * A row of `table` read back from `to_jsonb(row)` (keys are column names), through each column's own decoder,
 * so a hand-written statement yields the same objects as drizzle's query builder (dates as Date, and so on).
 */
export function rowFromJson<T extends Table>(table: T, json: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = json[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}

/**
 * An instant as a parameter of a hand-written statement: drizzle maps a Date to the driver only for a column it
 * knows, and postgres.js (as drizzle configures it) refuses a bare Date.
 */
export function instant(at: Date): SQL {
  return sql`${at.toISOString()}::timestamptz`;
}
