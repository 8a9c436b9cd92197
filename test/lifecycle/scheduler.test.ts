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

  it("rejects an invalid cron expression", () => {
    const scheduler = new Scheduler(silentLogger());
    expect(() => scheduler.add("bad", "every minute", () => Promise.resolve())).toThrow(/invalid cron expression for bad/);
  });
});
