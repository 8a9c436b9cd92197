import { describe, expect, it } from "vitest";
import { startLeaderDuties, type PollingSwitch } from "../../src/lifecycle/leader-duties.js";
import type { Leadership, ReplicaStatus } from "../../src/lifecycle/leader.js";
import { Scheduler } from "../../src/lifecycle/scheduler.js";
import { silentLogger } from "../support/logger.js";

/** A leadership the test switches by hand. */
function manualLeadership(): Leadership & { set(leader: boolean): void } {
  const listeners: ((leader: boolean) => void)[] = [];
  let leading = false;
  return {
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    isLeader: () => leading,
    status: (): ReplicaStatus => ({ id: "test:1", role: leading ? "leader" : "standby", since: new Date(0), election: "advisory_lock" }),
    onChange: (listener) => listeners.push(listener),
    set(leader) {
      leading = leader;
      for (const listener of listeners) listener(leader);
    },
  };
}

/** A polling switch that records what it was told and whether it is polling now. */
function recordingPolling(): PollingSwitch & { log: string[]; polling: boolean } {
  const switcher = {
    log: [] as string[],
    polling: false,
    start() {
      switcher.log.push("start");
      switcher.polling = true;
    },
    stop() {
      switcher.log.push("stop");
      switcher.polling = false;
      return Promise.resolve();
    },
  };
  return switcher;
}

describe("leader duties", () => {
  it("poll and run leader-only jobs only while leading; the first lead runs its start-up work once, before polling", async () => {
    const leadership = manualLeadership();
    const polling = recordingPolling();
    const scheduler = new Scheduler(silentLogger());
    let discoveries = 0;
    scheduler.add("discovery", "0 0 1 1 *", () => Promise.resolve(void discoveries++), { leaderOnly: true });
    await scheduler.start();
    const order: string[] = [];
    const duties = startLeaderDuties({
      leadership,
      scheduler,
      polling,
      logger: silentLogger(),
      onFirstLead: () => {
        order.push(`first lead (polling: ${polling.polling})`);
        return Promise.resolve();
      },
    });

    await duties.settled();
    await scheduler.runNow("discovery");
    expect({ polling: polling.polling, discoveries }).toEqual({ polling: false, discoveries: 0 });

    leadership.set(true);
    await duties.settled();
    await scheduler.runNow("discovery");
    expect({ polling: polling.polling, discoveries }).toEqual({ polling: true, discoveries: 1 });

    leadership.set(false);
    await duties.settled();
    await scheduler.runNow("discovery");
    expect({ polling: polling.polling, discoveries }).toEqual({ polling: false, discoveries: 1 });

    leadership.set(true);
    await duties.settled();
    expect(polling.log).toEqual(["start", "stop", "start"]);
    expect(order).toEqual(["first lead (polling: false)"]);

    await duties.stop(Date.now() + 1_000);
    expect(polling.polling).toBe(false);
    await scheduler.stop();
  });
});
