import type { Database } from "./database.js";

/**
 * A statement prepared once per database (drizzle's `.prepare()` with placeholders) instead of built at every call:
 * on the publisher's hot path, building a statement with drizzle took more CPU than the server took to run it.
 */
export function preparedPerDatabase<T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>();
  return (db) => {
    let statement = built.get(db);
    if (statement === undefined) {
      statement = build(db);
      built.set(db, statement);
    }
    return statement;
  };
}
