import { describe, expect, it, vi } from "vitest";
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

  it("a wake-up (rerun) during a run makes exactly one more run after it, however many come; a plain call only joins", async () => {
    const scheduler = new Scheduler(silentLogger());
    const gates = [deferred(), deferred(), deferred()];
    let runs = 0;
    scheduler.add("job", "0 0 1 1 *", async () => {
      await gates[runs++]!.promise;
    });
    const first = scheduler.runNow("job");
    const joined = scheduler.runNow("job");
    const wakes = [scheduler.runNow("job", { rerun: true }), scheduler.runNow("job", { rerun: true }), scheduler.runNow("job", { rerun: true })];
    gates[0]!.resolve();
    await Promise.all([first, joined]);
    await vi.waitFor(() => expect(runs).toBe(2));
    // A wake-up during the rerun queues one more again.
    const late = scheduler.runNow("job", { rerun: true });
    gates[1]!.resolve();
    await Promise.all(wakes);
    gates[2]!.resolve();
    await late;
    expect(runs).toBe(3);
    await scheduler.stop();
  });

  it("a wake-up queued behind a run does nothing once the scheduler stopped", async () => {
    const scheduler = new Scheduler(silentLogger());
    const gate = deferred();
    let runs = 0;
    scheduler.add("job", "0 0 1 1 *", async () => {
      runs++;
      await gate.promise;
    });
    void scheduler.runNow("job");
    const wake = scheduler.runNow("job", { rerun: true });
    const stopped = scheduler.stop();
    gate.resolve();
    await Promise.all([stopped, wake]);
    expect(runs).toBe(1);
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
