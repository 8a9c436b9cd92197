import { describe, expect, it, vi } from "vitest";
import { soloNotifications, parseWake, type Notifications, type WakeHandlers, type WakeTopic } from "../../src/db/notifications.js";
import { Scheduler } from "../../src/lifecycle/scheduler.js";
import { approvalWakeOf, createWakeups } from "../../src/lifecycle/wakeups.js";
import { silentLogger } from "../support/logger.js";

/** Notifications that record what is sent and hand the test the listener's handlers. */
function recordingNotifications(): Notifications & { sent: WakeTopic[]; handlers: () => WakeHandlers } {
  const sent: WakeTopic[] = [];
  let handlers: WakeHandlers | undefined;
  return {
    shared: true,
    sent,
    handlers: () => handlers!,
    signal: (topic) => ({ channel: "test_wake", payload: `${topic}:me` }),
    send(topic) {
      sent.push(topic);
      return Promise.resolve();
    },
    listen(h) {
      handlers = h;
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

function rig(notifications: Notifications, leader = true, reload: () => Promise<unknown> = () => Promise.resolve()) {
  const scheduler = new Scheduler(silentLogger());
  const counts = { publish: 0, cards: 0, settingsDropped: 0, optOutsDropped: 0, reloads: 0 };
  scheduler.add("publish", "0 0 1 1 *", () => {
    counts.publish++;
    return Promise.resolve();
  });
  const wakeups = createWakeups({ notifications, scheduler, publishJob: "publish", logger: silentLogger() });
  const targets = {
    syncCards: () => Promise.resolve(++counts.cards),
    dropSettings: () => void counts.settingsDropped++,
    dropOptOuts: () => void counts.optOutsDropped++,
    reloadAccounts: () => {
      counts.reloads++;
      return reload();
    },
    isLeader: () => leader,
  };
  return { scheduler, wakeups, counts, targets };
}

describe("wake-ups between replicas", () => {
  it("PGlite (solo): a publish wake-up runs the local publisher once and sends nothing", async () => {
    const { wakeups, counts, targets, scheduler } = rig(soloNotifications);
    await wakeups.start(targets);
    await wakeups.publishNow();
    wakeups.announce("cards");
    expect(counts).toEqual({ publish: 1, cards: 0, settingsDropped: 0, optOutsDropped: 0, reloads: 0 });
    await wakeups.stop();
    await scheduler.stop();
  });

  it("an approval's wake-up: its statement carries the publish signal, then only the local publisher runs (nothing sent twice)", async () => {
    const notifications = recordingNotifications();
    const { wakeups, counts, targets, scheduler } = rig(notifications);
    await wakeups.start(targets);
    const wake = approvalWakeOf(wakeups);
    expect(wake?.signal).toEqual({ channel: "test_wake", payload: "publish:me" });
    await wake?.publishHere();
    expect(counts.publish).toBe(1);
    expect(notifications.sent).toEqual([]);
    expect(approvalWakeOf(rig(soloNotifications).wakeups)).toBeUndefined();
    await wakeups.stop();
    await scheduler.stop();
  });

  it("sends publish after a local wake; acts on the others' topics (cards only while leading); catches up after a re-listen", async () => {
    const notifications = recordingNotifications();
    const { wakeups, counts, targets, scheduler } = rig(notifications);
    await wakeups.start(targets);
    await wakeups.publishNow();
    wakeups.announce("settings");
    expect(notifications.sent).toEqual(["publish", "settings"]);
    expect(counts.publish).toBe(1);

    const handlers = notifications.handlers();
    handlers.onWake("publish");
    handlers.onWake("cards");
    handlers.onWake("settings");
    handlers.onWake("optouts");
    // The job starts synchronously, so its count is there at once.
    expect(counts).toEqual({ publish: 2, cards: 1, settingsDropped: 1, optOutsDropped: 1, reloads: 0 });
    expect(notifications.sent).toHaveLength(2);
    // Joins the run the wake-up started and waits it out, so the catch-up below starts one of its own.
    await scheduler.runNow("publish");
    handlers.onResubscribed();
    // The account pool is reloaded first (another replica may have changed it meanwhile), then the catch-up runs.
    expect(counts).toMatchObject({ settingsDropped: 2, optOutsDropped: 2, reloads: 1 });
    await vi.waitFor(() => expect(counts).toEqual({ publish: 3, cards: 2, settingsDropped: 2, optOutsDropped: 2, reloads: 1 }));
    await scheduler.stop();
  });

  it("a stand-by ignores the cards topic (only the leader draws)", async () => {
    const notifications = recordingNotifications();
    const { wakeups, counts, targets, scheduler } = rig(notifications, false);
    await wakeups.start(targets);
    notifications.handlers().onWake("cards");
    expect(counts.cards).toBe(0);
    await scheduler.stop();
  });

  it("accounts: the pool is reloaded before the cards are redrawn and the publisher runs", async () => {
    const notifications = recordingNotifications();
    let finishReload: () => void = () => undefined;
    const { wakeups, counts, targets, scheduler } = rig(notifications, true, () => new Promise<void>((resolve) => (finishReload = resolve)));
    await wakeups.start(targets);
    wakeups.announce("accounts");
    expect(notifications.sent).toEqual(["accounts"]);
    expect(counts.reloads).toBe(0);

    notifications.handlers().onWake("accounts");
    expect(counts).toEqual({ publish: 0, cards: 0, settingsDropped: 0, optOutsDropped: 0, reloads: 1 });
    finishReload();
    await vi.waitFor(() => expect(counts).toEqual({ publish: 1, cards: 1, settingsDropped: 0, optOutsDropped: 0, reloads: 1 }));
    await scheduler.stop();
  });

  it("a reload that fails is logged, and the cards and the publisher still catch up; the process goes on", async () => {
    const notifications = recordingNotifications();
    const { wakeups, counts, targets, scheduler } = rig(notifications, true, () => Promise.reject(new Error("database gone")));
    await wakeups.start(targets);
    notifications.handlers().onWake("accounts");
    await vi.waitFor(() => expect(counts).toEqual({ publish: 1, cards: 1, settingsDropped: 0, optOutsDropped: 0, reloads: 1 }));
    await scheduler.stop();
  });

  it("parses topic:sender and refuses anything else", () => {
    expect(parseWake("publish:abc:1")).toEqual({ topic: "publish", sender: "abc:1" });
    expect(parseWake("cards:")).toEqual({ topic: "cards", sender: "" });
    expect(parseWake("accounts:replica-2")).toEqual({ topic: "accounts", sender: "replica-2" });
    expect(parseWake("publish")).toBeUndefined();
    expect(parseWake("reboot:abc")).toBeUndefined();
  });
});
