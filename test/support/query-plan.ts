import type { Database } from "../../src/db/database.js";
import { resultRows } from "../../src/db/raw-rows.js";

/** A transaction of {@link Database}. */
type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/** Thrown to roll the plan's transaction back with its lines. */
class PlanLines extends Error {
  constructor(readonly lines: string[]) {
    super("plan read; rolling back");
  }
}

/**
 * The lines of the EXPLAIN that `explain` runs (and returns) in a transaction that is then rolled back, with whatever
 * it changed first (a dropped index, a setting): whichever driver ran it.
 */
export async function planRolledBack(db: Database, explain: (tx: Transaction) => Promise<unknown>): Promise<string[]> {
  return db
    .transaction(async (tx) => {
      const result = await explain(tx);
      throw new PlanLines(resultRows(result).map((row) => row["QUERY PLAN"] as string));
    })
    .catch((result: unknown) => {
      if (result instanceof PlanLines) return result.lines;
      throw result;
    });
}
