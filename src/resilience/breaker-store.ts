import { sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { breakerStates } from "../db/schema.js";

/** Where breaker states are kept between runs. */
export interface BreakerStore {
  loadAll(): Promise<Map<string, unknown>>;
  save(name: string, state: unknown): Promise<void>;
}

/** Breaker states in the `breaker_states` table. */
export function databaseBreakerStore(db: Database): BreakerStore {
  return {
    async loadAll() {
      const rows = await db.select().from(breakerStates);
      return new Map(rows.map((row) => [row.name, row.state]));
    },
    async save(name, state) {
      await db
        .insert(breakerStates)
        .values({ name, state: state ?? {} })
        .onConflictDoUpdate({ target: breakerStates.name, set: { state: state ?? {}, updatedAt: sql`now()` } });
    },
  };
}
