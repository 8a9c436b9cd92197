import type { XAccountRow } from "../accounts.js";

/** How free replies are spread over the accounts that may post (ACCOUNT_STRATEGY). */
export type AccountStrategy = "round_robin" | "least_loaded";

/**
 * Picks the account that claims the next reply among those whose pacing allows a post now.
 * `round_robin`: the next account after the last one picked (by id, wrapping). `least_loaded`: the
 * lowest `load` (posts in the last hour plus claimed work), ties broken in round-robin order.
 */
export function createAccountChooser(strategy: AccountStrategy, load: (accountId: number) => Promise<number>) {
  let lastId: number | undefined;

  /** The candidates in rotation order: those after the last pick first, then the rest. */
  function rotation(candidates: readonly XAccountRow[]): XAccountRow[] {
    const byId = [...candidates].sort((a, b) => a.id - b.id);
    const after = byId.findIndex((row) => lastId === undefined || row.id > lastId);
    return after <= 0 ? byId : [...byId.slice(after), ...byId.slice(0, after)];
  }

  return {
    /** The account to claim for, or undefined when none may post. */
    async choose(candidates: readonly XAccountRow[]): Promise<XAccountRow | undefined> {
      let order = rotation(candidates);
      if (strategy === "least_loaded") {
        const loads = new Map<number, number>();
        for (const row of order) loads.set(row.id, await load(row.id));
        // A stable sort keeps the rotation order among equal loads.
        order = order.sort((a, b) => loads.get(a.id)! - loads.get(b.id)!);
      }
      const [chosen] = order;
      if (chosen) lastId = chosen.id;
      return chosen;
    },
  };
}

/** Picks accounts for claims. */
export type AccountChooser = ReturnType<typeof createAccountChooser>;
