import { failingBuilder } from "./failing-builder.js";
import type { Database } from "../../src/db/database.js";

/**
 * `real` with its hand-written hot-path statements (the claim, the grouped completion: `preparedRows`) run through
 * `around`, which is given how to run each, its name and its values (to fail, delay, count or answer them).
 */
export function aroundPrepared(
  real: Database,
  around: (run: () => Promise<unknown>, name: string | undefined, values: Record<string, unknown> | undefined) => Promise<unknown>,
): Database {
  const session = new Proxy(real._.session, {
    get(target, property, receiver) {
      if (property !== "prepareQuery") return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<typeof target.prepareQuery>) => {
        const prepared = target.prepareQuery(...args);
        return { execute: (values?: Record<string, unknown>) => around(() => prepared.execute(values), args[2], values) };
      };
    },
  });
  return new Proxy(real, {
    get: (target, property, receiver) => (property === "_" ? { ...real._, session } : (Reflect.get(target, property, receiver) as unknown)),
  });
}

/**
 * `real` failing right after a publish run's first claim: the select after it (the opt-out check, the account's
 * identity being known) fails, then the next `handBackFailures` statements built with `with` (hand-backs).
 */
export function failingAfterClaim(real: Database, handBackFailures: number): Database {
  const afterClaims = afterFirstClaim(real, () => optOutCheck.fail());
  const handBacks = failingBuilder(afterClaims, "with", () => new Error("connection terminated while handing back"));
  const optOutCheck = failingBuilder(handBacks.db, "select", () => new Error("connection terminated before the opt-out check"), () =>
    handBacks.fail(handBackFailures),
  );
  return optOutCheck.db;
}

/** `real` that calls `then` once, as soon as its first hand-written statement (a publish run's first claim) is answered. */
export function afterFirstClaim(real: Database, then: () => void): Database {
  let claimed = false;
  return aroundPrepared(real, async (run) => {
    const result = await run();
    if (!claimed) then();
    claimed = true;
    return result;
  });
}
