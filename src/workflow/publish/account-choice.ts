import type { XAccountRow } from "../accounts.js";

/** How free replies are spread over the accounts that may post (ACCOUNT_STRATEGY). */
export type AccountStrategy = "round_robin" | "least_loaded";

/**
 * Picks the account that claims the next reply among those whose pacing allows a post now.
 * `round_robin`: the next account after the last one picked (by id, wrapping). `least_loaded`: the
 * lowest load (posts in the last hour plus claimed work, read once per choice), ties broken in round-robin order.
 */
export function createAccountChooser(strategy: AccountStrategy, loads: () => Promise<ReadonlyMap<number, number>>) {
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
      if (strategy === "least_loaded" && order.length > 1) {
        const load = await loads();
        // A stable sort keeps the rotation order among equal loads (an account with none is absent: 0).
        order = order.sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0));
      }
      const [chosen] = order;
      if (chosen) lastId = chosen.id;
      return chosen;
    },
  };
}

/** Picks accounts for claims. */
export type AccountChooser = ReturnType<typeof createAccountChooser>;
