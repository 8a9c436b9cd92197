import type { Database } from "../../src/db/database.js";

/** A query builder of the database handle that a test can make fail. */
export type Builder = "select" | "insert" | "update" | "delete" | "with";

/** A database whose {@link Builder} throws on demand (a statement lost to a dropped connection). */
export interface FailingBuilder {
  readonly db: Database;
  /** The next `times` uses of the builder throw (default 1; `Infinity` until {@link recover}). */
  readonly fail: (times?: number) => void;
  /** The builder works again. */
  readonly recover: () => void;
  /** How many times the builder was asked for, failed or not. */
  readonly uses: () => number;
}

/**
 * `real` whose `builder` throws `error()` when asked for while failing (see {@link FailingBuilder.fail}); every other
 * property, and the builder otherwise, is `real`'s own. `onFailed` runs at each failure (to arm the next one).
 */
export function failingBuilder(real: Database, builder: Builder, error: () => Error, onFailed?: () => void): FailingBuilder {
  let left = 0;
  let uses = 0;
  const db = new Proxy(real, {
    get(target, property, receiver) {
      if (property === builder) {
        uses++;
        if (left > 0) {
          left--;
          onFailed?.();
          return () => {
            throw error();
          };
        }
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return {
    db,
    fail: (times = 1) => void (left = times),
    recover: () => void (left = 0),
    uses: () => uses,
  };
}
