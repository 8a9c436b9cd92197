import { hostname } from "node:os";
import type { Logger } from "../logger.js";
import { withTimeout } from "../resilience/deadline.js";

/** What a replica is doing: leading (polling Telegram, running the leader-only jobs) or waiting to take over. */
export type ReplicaRole = "leader" | "standby";

/** This replica as /health and /metrics show it. */
export interface ReplicaStatus {
  /** hostname:pid */
  readonly id: string;
  readonly role: ReplicaRole;
  /** When the replica took its current role. */
  readonly since: Date;
  /** `advisory_lock`: elected on PostgreSQL; `single_process`: PGlite, one process, always the leader. */
  readonly election: "advisory_lock" | "single_process";
}

/** Who leads: started once, asked often, told to stop at shutdown. */
export interface Leadership {
  /** Makes the first attempt (awaited), then keeps trying or checking in the background. */
  start(): Promise<void>;
  /** Stops trying; a leader gives the lock up so a stand-by takes over at once. */
  stop(): Promise<void>;
  isLeader(): boolean;
  status(): ReplicaStatus;
  /** Called with true when this replica becomes the leader, false when it stops being it (never twice the same). */
  onChange(listener: (leader: boolean) => void): void;
}

/** The session holding (or trying for) the lock, as {@link LeaderElection} needs it. */
export interface LockSession {
  tryLock(): Promise<boolean>;
  holds(): Promise<boolean>;
  close(): Promise<void>;
}

/** This process's replica id: hostname and pid, unique among live replicas. */
export function replicaId(): string {
  return `${hostname()}:${process.pid}`;
}

/** How often a stand-by tries and a leader checks its lock: a third of the takeover time, so a takeover fits in it. */
export function leaderIntervalMs(takeoverSeconds: number): number {
  return Math.max(200, Math.floor((takeoverSeconds * 1000) / 3));
}

/** PGlite: one process per data directory (its lock file refuses a second), so this one always leads. */
export function singleProcessLeadership(id: string, now: () => Date = () => new Date()): Leadership {
  const listeners: ((leader: boolean) => void)[] = [];
  let since = now();
  let leading = false;
  return {
    start() {
      since = now();
      leading = true;
      for (const listener of listeners) listener(true);
      return Promise.resolve();
    },
    stop() {
      return Promise.resolve();
    },
    isLeader: () => leading,
    status: () => ({ id, role: leading ? "leader" : "standby", since, election: "single_process" }),
    onChange(listener) {
      listeners.push(listener);
    },
  };
}

/** What {@link LeaderElection} needs. */
export interface LeaderElectionOptions {
  /** Opens a dedicated session; `onLost` is called when it dies on its own. Called again after a session is dropped. */
  readonly connect: (onLost: () => void) => LockSession | Promise<LockSession>;
  /** How often a stand-by tries for the lock and a leader checks it still holds it. */
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly id?: string;
  readonly now?: () => Date;
}

/**
 * One leader per database through a session-level advisory lock on a dedicated connection: the lock lives exactly
 * as long as that session, so a leader that dies (SIGKILL included) frees it with its connection. A stand-by tries
 * every interval; a leader checks its session every interval and steps down at once when the session closes or does
 * not answer within the interval, since the lock may be someone else's by then. A replica that lost its session sits
 * out its next try: the stand-bys, whose sessions are fine, take over first.
 */
export class LeaderElection implements Leadership {
  private readonly listeners: ((leader: boolean) => void)[] = [];
  private readonly id: string;
  private readonly now: () => Date;
  private session: LockSession | undefined;
  private leading = false;
  private since: Date;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  /** Set when this replica lost its session: it sits out one try, so a healthy stand-by takes over first. */
  private sitOut = false;

  constructor(private readonly options: LeaderElectionOptions) {
    this.id = options.id ?? replicaId();
    this.now = options.now ?? (() => new Date());
    this.since = this.now();
  }

  /** Makes the first attempt, then keeps trying (stand-by) or checking (leader) every interval. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    if (!this.leading) this.options.logger.info({ replica: this.id }, "replica is a stand-by; another replica leads");
  }

  isLeader(): boolean {
    return this.leading;
  }

  status(): ReplicaStatus {
    return { id: this.id, role: this.leading ? "leader" : "standby", since: this.since, election: "advisory_lock" };
  }

  onChange(listener: (leader: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Stops trying; a leader closes its session, which frees the lock for a stand-by at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    this.setLeading(false, "stopping");
    await this.dropSession();
  }

  private tick(): Promise<void> {
    this.ticking = this.attempt().finally(() => {
      this.ticking = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
      this.timer.unref();
    });
    return this.ticking;
  }

  private async attempt(): Promise<void> {
    const { intervalMs, logger } = this.options;
    try {
      if (this.leading) {
        const session = this.session;
        const holds = session !== undefined && (await withTimeout(session.holds(), intervalMs, "leader lock check"));
        if (!holds) await this.stepDown("the lock's session is gone");
        return;
      }
      if (this.sitOut) {
        this.sitOut = false;
        return;
      }
      const session = this.session ?? (await this.open());
      if (await withTimeout(session.tryLock(), intervalMs, "leader lock")) {
        if (this.stopped || this.session !== session) return;
        this.setLeading(true, "took the leader lock");
      }
    } catch (error) {
      logger.warn({ err: error, replica: this.id, leader: this.leading }, "leader lock session failed; dropping it");
      await this.stepDown("the lock's session failed");
    }
  }

  private async open(): Promise<LockSession> {
    let session: LockSession | undefined = undefined;
    // The session may die between two checks: a leader steps down at that moment, not at its next check.
    session = await this.options.connect(() => {
      if (this.session !== session) return;
      void this.stepDown("the lock's connection closed");
    });
    this.session = session;
    return session;
  }

  private async stepDown(reason: string): Promise<void> {
    if (this.leading) this.sitOut = true;
    this.setLeading(false, reason);
    await this.dropSession();
  }

  private async dropSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close().catch((error: unknown) => this.options.logger.debug({ err: error }, "closing the leader lock session failed"));
  }

  private setLeading(leading: boolean, reason: string): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.since = this.now();
    this.options.logger.info({ replica: this.id, role: leading ? "leader" : "standby", reason }, leading ? "this replica leads" : "this replica stepped down");
    for (const listener of this.listeners) listener(leading);
  }
}
