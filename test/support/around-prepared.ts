import type { Database } from "../../src/db/database.js";

/**
 * `real` with its hand-written hot-path statements (the claim, the grouped completion: `preparedRows`) run through
 * `around`, which is given each statement's name and how to run it (to fail, delay or count them).
 */
export function aroundPrepared(real: Database, around: (run: () => Promise<unknown>, name: string | undefined) => Promise<unknown>): Database {
  const session = new Proxy(real._.session, {
    get(target, property, receiver) {
      if (property !== "prepareQuery") return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<typeof target.prepareQuery>) => {
        const prepared = target.prepareQuery(...args);
        return { execute: (values?: Record<string, unknown>) => around(() => prepared.execute(values), args[2]) };
      };
    },
  });
  return new Proxy(real, {
    get: (target, property, receiver) => (property === "_" ? { ...real._, session } : (Reflect.get(target, property, receiver) as unknown)),
  });
}
