import type { Builder } from "./failing-builder.js";
import type { Database } from "../../src/db/database.js";

type Chain = object & { then: (resolve: (value: unknown) => unknown, reject: (reason: unknown) => unknown) => Promise<unknown> };

/**
 * `real` whose first statement built with `builder` runs `meanwhile` (another writer's commit) right before it is
 * sent: what a race between a read and the write after it would look like, made certain.
 */
export function meanwhileBefore(real: Database, builder: Builder, meanwhile: () => Promise<unknown>): Database {
  let armed = true;
  return new Proxy(real, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== builder || !armed || typeof value !== "function") return value;
      armed = false;
      return (...args: unknown[]) => deferred(value.apply(target, args) as Chain, meanwhile);
    },
  });
}

/** A query builder chain whose execution (its `then`) waits for `before`; each step of the chain stays deferred. */
function deferred(chain: Chain, before: () => Promise<unknown>): Chain {
  const proxy: Chain = new Proxy(chain, {
    get(target, property) {
      if (property === "then") {
        return (resolve: (value: unknown) => unknown, reject: (reason: unknown) => unknown) =>
          before().then(() => target.then(resolve, reject), reject);
      }
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const next = value.apply(target, args) as unknown;
        if (next === target) return proxy;
        return typeof next === "object" && next !== null && "then" in next ? deferred(next as Chain, before) : next;
      };
    },
  });
  return proxy;
}
