/**
 * The account chooser on its own: which of the accounts allowed to post now claims the next free reply, by
 * ACCOUNT_STRATEGY. Only the rows' ids matter to it, so the candidates are bare rows.
 */
import { describe, expect, it } from "vitest";
import type { XAccountRow } from "../../src/workflow/accounts.js";
import { createAccountChooser, type AccountStrategy } from "../../src/workflow/publish/account-choice.js";

const rows = (...ids: number[]): XAccountRow[] => ids.map((id) => ({ id }) as XAccountRow);

/** A chooser whose loads come from `load`, counting how often they are read. */
function chooser(strategy: AccountStrategy, load: Record<number, number> = {}) {
  const reads = { count: 0 };
  const chooser = createAccountChooser(strategy, () => {
    reads.count++;
    return Promise.resolve(new Map(Object.entries(load).map(([id, n]) => [Number(id), n])));
  });
  const pick = async (...ids: number[]) => (await chooser.choose(rows(...ids)))?.id;
  return { pick, reads };
}

describe("round_robin", () => {
  it("takes the accounts in id order whatever order they come in, wrapping after the highest", async () => {
    const { pick } = chooser("round_robin");
    const picked = [];
    for (let i = 0; i < 4; i++) picked.push(await pick(3, 1, 2));
    expect(picked).toEqual([1, 2, 3, 1]);
  });

  it("goes on after the last pick when that account is no longer a candidate, and wraps when none comes after it", async () => {
    const { pick } = chooser("round_robin");
    expect(await pick(1, 2, 3)).toBe(1);
    expect(await pick(1, 2, 3)).toBe(2);
    expect(await pick(1, 3)).toBe(3);
    expect(await pick(1, 2)).toBe(1);
  });

  it("answers undefined without candidates and keeps its place in the rotation", async () => {
    const { pick } = chooser("round_robin");
    expect(await pick(1, 2)).toBe(1);
    expect(await pick()).toBeUndefined();
    expect(await pick(1, 2)).toBe(2);
  });

  it("never reads the loads: a loaded account still takes its turn", async () => {
    const { pick, reads } = chooser("round_robin", { 1: 9, 2: 0 });
    expect(await pick(1, 2)).toBe(1);
    expect(reads.count).toBe(0);
  });
});

describe("least_loaded", () => {
  it("takes the account with the lowest load", async () => {
    const { pick, reads } = chooser("least_loaded", { 1: 2, 2: 0, 3: 1 });
    expect(await pick(1, 2, 3)).toBe(2);
    expect(reads.count).toBe(1);
  });

  it("counts an account without load as 0", async () => {
    const { pick } = chooser("least_loaded", { 1: 1 });
    expect(await pick(1, 2)).toBe(2);
  });

  it("breaks ties in round-robin order", async () => {
    const { pick } = chooser("least_loaded", { 1: 1, 2: 1, 3: 1 });
    const picked = [];
    for (let i = 0; i < 4; i++) picked.push(await pick(3, 2, 1));
    expect(picked).toEqual([1, 2, 3, 1]);
  });

  it("does not read the loads for a single candidate", async () => {
    const { pick, reads } = chooser("least_loaded", { 1: 5 });
    expect(await pick(1)).toBe(1);
    expect(reads.count).toBe(0);
  });
});
