import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import type { Database } from "../../src/db/database.js";
import * as schema from "../../src/db/schema.js";

/** Written on a timer by the alert worker (its lease), whatever the bot is sent: left out of snapshots. */
const BACKGROUND_TABLES = new Set(["alert_state"]);

/** Every table of the schema (conversation storage included) that only the workflow and the bot write. */
const TABLES: PgTable[] = (Object.values(schema) as unknown[])
  .filter((value): value is PgTable => is(value, PgTable))
  .filter((table) => !BACKGROUND_TABLES.has(getTableName(table)));

/**
 * Every row of every table (but the alert worker's lease), serialised and sorted, keyed by table name: two snapshots are equal only when nothing
 * was inserted, updated or deleted in between.
 */
export async function snapshotTables(db: Database): Promise<Record<string, string[]>> {
  const entries = await Promise.all(
    TABLES.map(async (table) => {
      const rows: unknown[] = await db.select().from(table);
      return [getTableName(table), rows.map((row) => JSON.stringify(row)).sort()] as const;
    }),
  );
  return Object.fromEntries(entries);
}
