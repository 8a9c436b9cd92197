import { readFileSync } from "node:fs";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { inject } from "vitest";
import type { DatabaseHandle } from "../../src/db/database.js";
import { pgliteHandle } from "../../src/db/pglite.js";

/** A migrated in-memory PGlite whose SQL statements are counted (a transaction's BEGIN and COMMIT count too). */
export interface CountedDatabase {
  readonly handle: DatabaseHandle;
  /** Statements sent since the last reset. */
  count(): number;
  reset(): void;
  dispose(): Promise<void>;
}

/** Counts `query`/`exec` calls on `target` (PGlite or one of its transactions) into `tally`. */
function counting<T extends PGlite | Transaction>(target: T, tally: { n: number }): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== "function") return value;
      if (property === "query" || property === "exec") {
        return (...args: unknown[]) => {
          tally.n++;
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      }
      if (property === "transaction") {
        return (work: (tx: Transaction) => Promise<unknown>) => {
          tally.n += 2;
          return (object as PGlite).transaction((tx) => work(counting(tx, tally)));
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(object);
    },
  });
}

/** A clone of the migrated template, behind a statement counter. */
export async function createCountedDatabase(): Promise<CountedDatabase> {
  const client = await PGlite.create({ loadDataDir: new Blob([readFileSync(inject("pgliteTemplate"))]) });
  const tally = { n: 0 };
  const handle = pgliteHandle(counting(client, tally));
  return {
    handle,
    count: () => tally.n,
    reset: () => {
      tally.n = 0;
    },
    dispose: () => client.close(),
  };
}
