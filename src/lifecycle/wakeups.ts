import type { Config } from "../config.js";
import { connectNotifications, soloNotifications, type Notifications, type WakeSignal, type WakeTopic } from "../db/notifications.js";
import type { Logger } from "../logger.js";
import type { Scheduler } from "./scheduler.js";

/** What a wake-up from another replica acts on, once the workflow exists. */
export interface WakeTargets {
  /** Redraws the cards (asked only while this replica leads: only the leader draws them). */
  syncCards(): Promise<unknown>;
  /** Drops the cached runtime settings, so the next read sees another replica's change. */
  dropSettings(): void;
  /** Drops the publisher's cached opt-outs, so its next check before a POST sees another replica's change. */
  dropOptOuts(): void;
  /** Reloads the X account pool from the database (another replica added, changed or removed an account). */
  reloadAccounts(): Promise<unknown>;
  isLeader(): boolean;
}

/** Wake-ups of the publisher, the cards, the settings and opt-out caches and the account pool, in this replica and across the replicas. */
export interface Wakeups {
  /** Runs the publisher here (once more after a run in progress) and wakes the other replicas' publishers. */
  publishNow(): Promise<void>;
  /** Runs the publisher here only: for a change whose statement woke the other replicas itself ({@link publishSignal}). */
  publishHere(): Promise<void>;
  /** The `publish` wake-up for a statement to send at its commit; undefined when no other replica could hear it. */
  publishSignal(): WakeSignal | undefined;
  /** Tells the other replicas that cards, settings, opt-outs or the account pool changed here (sent after the caller's commit). */
  announce(topic: Exclude<WakeTopic, "publish">): void;
  /** Starts listening for the other replicas' wake-ups. */
  start(targets: WakeTargets): Promise<void>;
  stop(): Promise<void>;
}

/** Wake-ups over PostgreSQL's LISTEN/NOTIFY when DATABASE_URL is set; in-process only on PGlite. */
export function wakeupsFromConfig(config: Config, scheduler: Scheduler, publishJob: string, logger: Logger): Wakeups {
  const url = config.database.url;
  return createWakeups({ notifications: url === undefined ? soloNotifications : connectNotifications(url), scheduler, publishJob, logger });
}

/**
 * Every wake-up is sent after the change it reports has committed (the workflow calls its hooks after the
 * transaction), on a connection of its own, so the others never wake before they can see the change. The cron poll
 * stays as the fallback for a lost NOTIFY; after the listening session comes back, the replica catches up at once.
 */
export function createWakeups(deps: {
  readonly notifications: Notifications;
  readonly scheduler: Scheduler;
  /** The scheduler's name of the publish job (the workflow's `JOBS.publish`). */
  readonly publishJob: string;
  readonly logger: Logger;
}): Wakeups {
  const { notifications, scheduler, logger } = deps;
  let targets: WakeTargets | undefined;

  const runPublish = () =>
    scheduler.runNow(deps.publishJob, { rerun: true }).catch((error: unknown) => logger.warn({ err: error }, "publish after a wake-up failed"));
  const send = (topic: WakeTopic) => {
    if (!notifications.shared) return;
    notifications.send(topic).catch((error: unknown) => logger.warn({ err: error, topic }, "wake-up not sent; the other replicas' polls catch up"));
  };
  const syncCards = () => {
    if (!targets?.isLeader()) return;
    targets.syncCards().catch((error: unknown) => logger.warn({ err: error }, "card sync failed; the next one retries"));
  };
  // The pool first: the cards say which account a reply waits for, and the publisher claims for the accounts it has.
  const reloadAccountsThenCatchUp = (wakeTargets: WakeTargets) => {
    void wakeTargets
      .reloadAccounts()
      .catch((error: unknown) => logger.warn({ err: error }, "X account pool not reloaded; the next wake-up or publish poll retries"))
      .then(() => {
        syncCards();
        return runPublish();
      });
  };

  return {
    publishNow() {
      send("publish");
      return runPublish();
    },
    publishHere: runPublish,
    publishSignal: () => notifications.signal("publish"),
    announce: send,
    async start(wakeTargets) {
      targets = wakeTargets;
      // Without the listener the replicas still work, as before it: each one's cron poll picks up what others approve.
      await notifications.listen({
        onWake(topic) {
          if (topic === "publish") void runPublish();
          else if (topic === "cards") syncCards();
          else if (topic === "settings") wakeTargets.dropSettings();
          else if (topic === "optouts") wakeTargets.dropOptOuts();
          else reloadAccountsThenCatchUp(wakeTargets);
        },
        onResubscribed() {
          logger.info("wake-up listener back; catching up on what it missed");
          wakeTargets.dropSettings();
          wakeTargets.dropOptOuts();
          reloadAccountsThenCatchUp(wakeTargets);
        },
      }).catch((error: unknown) => logger.warn({ err: error }, "could not listen for wake-ups; relying on the polls"));
    },
    stop: () => notifications.close(),
  };
}

/**
 * How an approval wakes the publishers when replicas share the database: the approval's statement sends the
 * `publish` wake-up at its commit, then this replica's publisher runs alone. Undefined on PGlite (no one else to wake).
 */
export function approvalWakeOf(wakeups: Wakeups): { signal: WakeSignal; publishHere: () => Promise<void> } | undefined {
  const signal = wakeups.publishSignal();
  return signal && { signal, publishHere: () => wakeups.publishHere() };
}
