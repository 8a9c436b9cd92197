import { describe, expect, it } from "vitest";
import { Scheduler } from "../../src/lifecycle/scheduler.js";
import { silentLogger } from "../support/logger.js";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("scheduler", () => {
  it("never runs two runs of one job at once", async () => {
    const scheduler = new Scheduler(silentLogger());
    const gate = deferred();
    let runs = 0;
    scheduler.add("job", "0 0 1 1 *", async () => {
      runs++;
      await gate.promise;
    });
    const first = scheduler.runNow("job");
    const second = scheduler.runNow("job");
    expect(runs).toBe(1);
    gate.resolve();
    await Promise.all([first, second]);
    await scheduler.runNow("job");
    expect(runs).toBe(2);
    await scheduler.stop();
  });

  it("records failures without throwing and waits for runs in flight on stop", async () => {
    const scheduler = new Scheduler(silentLogger());
    const gate = deferred();
    let finished = false;
    scheduler.add("slow", "0 0 1 1 *", async () => {
      await gate.promise;
      finished = true;
    });
    scheduler.add("broken", "0 0 1 1 *", () => Promise.reject(new Error("kaput")));
    await scheduler.runNow("broken");
    expect(scheduler.lastRuns().get("broken")?.error).toBe("kaput");
    const run = scheduler.runNow("slow");
    const stopped = scheduler.stop();
    setTimeout(gate.resolve, 20);
    await stopped;
    expect(finished).toBe(true);
    await run;
  });

  it("fires jobs on their cron expression (seconds field)", async () => {
    const scheduler = new Scheduler(silentLogger());
    const fired = deferred();
    scheduler.add("tick", "* * * * * *", () => {
      fired.resolve();
      return Promise.resolve();
    });
    await scheduler.start();
    await fired.promise;
    await scheduler.stop();
    expect(scheduler.lastRuns().get("tick")?.startedAt).toBeInstanceOf(Date);
  });

  it("runs a leader-only job only while leading: runNow is a no-op on a stand-by, its timer starts and stops with the lead", async () => {
    const scheduler = new Scheduler(silentLogger());
    let leaderRuns = 0;
    let everyRuns = 0;
    let fired = deferred();
    scheduler.add("leader", "* * * * * *", () => {
      leaderRuns++;
      fired.resolve();
      return Promise.resolve();
    }, { leaderOnly: true });
    scheduler.add("every", "0 0 1 1 *", () => {
      everyRuns++;
      return Promise.resolve();
    });
    await scheduler.start();
    await scheduler.runNow("leader");
    await scheduler.runNow("every");
    expect([leaderRuns, everyRuns]).toEqual([0, 1]);

    await scheduler.setLeading(true);
    await fired.promise; // its timer runs now
    await scheduler.setLeading(false);
    const afterStepDown = leaderRuns;
    fired = deferred();
    await scheduler.runNow("leader");
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // a whole tick of its cron expression
    expect(leaderRuns).toBe(afterStepDown);

    await scheduler.setLeading(true); // a second term starts the same timer again
    await fired.promise;
    expect(leaderRuns).toBeGreaterThan(afterStepDown);
    await scheduler.stop();
  });

  it("rejects an invalid cron expression", () => {
    const scheduler = new Scheduler(silentLogger());
    expect(() => scheduler.add("bad", "every minute", () => Promise.resolve())).toThrow(/invalid cron expression for bad/);
  });
});
