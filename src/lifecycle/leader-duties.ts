import type { Logger } from "../logger.js";
import type { Leadership } from "./leader.js";
import type { Scheduler } from "./scheduler.js";

/** How long a replica that lost the lead waits for the updates it is handling before it lets them go. */
const STEP_DOWN_DRAIN_MS = 5_000;

/** Telegram long polling as the duties switch it: a new poller per term, stopped when the term ends. */
export interface PollingSwitch {
  start(): void;
  /** Stops fetching updates and drains those in flight until `deadline` (epoch ms). */
  stop(deadline: number): Promise<void>;
}

/** What {@link startLeaderDuties} needs. */
export interface LeaderDutiesDeps {
  readonly leadership: Leadership;
  readonly scheduler: Scheduler;
  readonly polling: PollingSwitch;
  readonly logger: Logger;
  /** Run once, before polling starts, the first time this process leads (boot recovery, session verification). */
  readonly onFirstLead: () => Promise<void>;
}

/** The running duties: settle the pending switch, or give them up at shutdown. */
export interface LeaderDuties {
  /** Resolves once every leadership change so far has been acted on. */
  settled(): Promise<void>;
  /** Stops polling and the leader-only jobs (the lock itself is the leadership's to release). */
  stop(deadline: number): Promise<void>;
}

/**
 * Ties what must run once per database to the leadership: on becoming leader the replica starts Telegram polling
 * and the leader-only jobs (the first time, after `onFirstLead`); on losing it, it stops polling first — two
 * pollers on one token make Telegram answer 409 — then the leader-only jobs. Switches run one after the other.
 */
export function startLeaderDuties(deps: LeaderDutiesDeps): LeaderDuties {
  const { leadership, scheduler, polling, logger } = deps;
  let chain: Promise<void> = Promise.resolve();
  let polls = false;
  let firstLead: Promise<void> | undefined;
  let stopped = false;

  async function lead(): Promise<void> {
    // Boot recovery first, as before polling: it releases the claims a dead process left.
    if (!firstLead) {
      firstLead = deps.onFirstLead().catch((error: unknown) => logger.error({ err: error }, "leader start-up work failed"));
      await firstLead;
    }
    if (stopped || !leadership.isLeader()) return;
    polling.start();
    polls = true;
    await scheduler.setLeading(true);
  }

  async function standBy(deadline: number): Promise<void> {
    if (polls) await polling.stop(deadline);
    polls = false;
    await scheduler.setLeading(false);
  }

  const enqueue = (step: () => Promise<void>): Promise<void> => {
    chain = chain.then(step).catch((error: unknown) => logger.error({ err: error }, "switching leader duties failed"));
    return chain;
  };

  leadership.onChange((leader) => {
    void enqueue(async () => {
      if (stopped) return;
      if (leader && leadership.isLeader()) await lead();
      else if (!leader) await standBy(Date.now() + STEP_DOWN_DRAIN_MS);
    });
  });
  if (leadership.isLeader()) void enqueue(lead);

  return {
    settled: () => chain,
    async stop(deadline) {
      await enqueue(async () => {
        stopped = true;
        if (polls) await polling.stop(deadline);
        polls = false;
      });
      await firstLead;
    },
  };
}
