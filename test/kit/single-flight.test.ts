import { describe, expect, it } from "vitest";
import { singleFlight } from "../../src/kit/single-flight.js";

/** A task whose runs the test finishes by hand, one at a time. */
function controlledTask() {
  const pending: ((value: number) => void)[] = [];
  let starts = 0;
  const task = () =>
    new Promise<number>((resolve) => {
      starts++;
      pending.push(resolve);
    });
  const finish = async (value: number) => {
    pending.shift()?.(value);
    // Let the single-flight loop see the result and maybe start the next pass.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { task, finish, starts: () => starts };
}

describe("singleFlight", () => {
  it("lets a call during a run join it, and starts a fresh run once it is over", async () => {
    const { task, finish, starts } = controlledTask();
    const run = singleFlight(task);
    const first = run();
    const second = run();
    expect(second).toBe(first);
    await finish(7);
    await expect(first).resolves.toBe(7);
    expect(starts()).toBe(1);
    const third = run();
    expect(third).not.toBe(first);
    await finish(8);
    await expect(third).resolves.toBe(8);
    expect(starts()).toBe(2);
  });

  it("frees the slot when a run fails, and both callers see the failure", async () => {
    let calls = 0;
    const run = singleFlight(() => (++calls === 1 ? Promise.reject(new Error("boom")) : Promise.resolve(calls)));
    const [a, b] = [run(), run()];
    await expect(a).rejects.toThrow("boom");
    await expect(b).rejects.toThrow("boom");
    await expect(run()).resolves.toBe(2);
  });

  it("with rerun, runs once more after a run that was called meanwhile, and combines the results", async () => {
    const { task, finish, starts } = controlledTask();
    const run = singleFlight(task, { rerun: true, combine: (total, next) => total + next });
    const first = run();
    const joined = run();
    void run();
    expect(joined).toBe(first);
    await finish(2);
    expect(starts()).toBe(2); // three calls, one rerun
    await finish(3);
    await expect(first).resolves.toBe(5);
    expect(starts()).toBe(2);
  });

  it("with rerun, runs only once when nobody called meanwhile", async () => {
    const { task, finish, starts } = controlledTask();
    const run = singleFlight(task, { rerun: true, combine: (total, next) => total + next });
    const first = run();
    await finish(4);
    await expect(first).resolves.toBe(4);
    expect(starts()).toBe(1);
  });

  it("without rerun, a call during a run does not make it run again", async () => {
    const { task, finish, starts } = controlledTask();
    const run = singleFlight(task);
    const first = run();
    void run();
    await finish(1);
    await expect(first).resolves.toBe(1);
    expect(starts()).toBe(1);
  });
});
