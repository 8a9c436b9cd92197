import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "../logger.js";

/** The outcome of the latest run of one job, for /health. */
export interface JobRun {
  readonly startedAt: Date;
  readonly finishedAt: Date | undefined;
  readonly error: string | undefined;
}

interface Job {
  readonly name: string;
  readonly task: ScheduledTask;
  readonly work: () => Promise<void>;
  /** Runs only on the replica that leads (see lifecycle/leader.ts). */
  readonly leaderOnly: boolean;
  running: Promise<void> | undefined;
  /** The one run queued behind the current one by a wake-up (see {@link Scheduler.runNow}'s `rerun`). */
  rerun: Promise<void> | undefined;
  lastRun: JobRun | undefined;
}

/**
 * Runs named jobs on cron expressions, never two runs of one job at a time, and lets shutdown
 * wait for the runs in flight. Jobs can also be triggered by hand (`runNow`), under the same rule.
 * Jobs added `leaderOnly` run only while {@link setLeading} says this replica leads.
 */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;
  private started = false;
  private leading = false;

  constructor(private readonly logger: Logger) {}

  /** Registers a job; `expression` is a 5- or 6-field cron expression (6 = with seconds). */
  add(name: string, expression: string, work: () => Promise<void>, options: { timezone?: string; leaderOnly?: boolean } = {}): void {
    if (!cron.validate(expression)) throw new Error(`invalid cron expression for ${name}: "${expression}"`);
    const task = cron.createTask(expression, () => this.runNow(name), { name, timezone: options.timezone });
    this.jobs.set(name, { name, task, work, leaderOnly: options.leaderOnly ?? false, running: undefined, rerun: undefined, lastRun: undefined });
  }

  /** Starts the timers of every job that may run here (the leader-only ones only while leading). */
  async start(): Promise<void> {
    this.started = true;
    for (const job of this.jobs.values()) if (!job.leaderOnly || this.leading) await job.task.start();
  }

  /**
   * Starts (leading) or stops (not leading) the leader-only jobs' timers; a stand-by's `runNow` of one does nothing.
   * Stepping down waits for their runs in flight, so none outlives the leadership by more than its own run.
   */
  async setLeading(leading: boolean): Promise<void> {
    this.leading = leading;
    const leaderJobs = [...this.jobs.values()].filter((job) => job.leaderOnly);
    if (this.stopped || !this.started) return;
    for (const job of leaderJobs) await (leading ? job.task.start() : job.task.stop());
    if (!leading) await Promise.all(leaderJobs.flatMap((job) => (job.running ? [job.running] : [])));
  }

  /**
   * Runs a job now unless it is already running: then a cron tick joins that run, while a wake-up (`rerun`) queues
   * exactly one more run after it — the run in progress may have read the queue before the change that woke it —
   * however many wake-ups come during the run.
   */
  runNow(name: string, options: { rerun?: boolean } = {}): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) return Promise.reject(new Error(`unknown job ${name}`));
    if (job.running) {
      if (!options.rerun) return job.running;
      job.rerun ??= job.running.then(() => {
        job.rerun = undefined;
        return this.runNow(name);
      });
      return job.rerun;
    }
    if (this.stopped || (job.leaderOnly && !this.leading)) return Promise.resolve();
    const startedAt = new Date();
    job.lastRun = { startedAt, finishedAt: undefined, error: undefined };
    job.running = job
      .work()
      .then(
        () => {
          job.lastRun = { startedAt, finishedAt: new Date(), error: undefined };
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          job.lastRun = { startedAt, finishedAt: new Date(), error: message };
          this.logger.error({ err: error, job: name }, "scheduled job failed");
        },
      )
      .finally(() => {
        job.running = undefined;
      });
    return job.running;
  }

  /** Latest run of every job, by name. */
  lastRuns(): ReadonlyMap<string, JobRun | undefined> {
    return new Map([...this.jobs.values()].map((job) => [job.name, job.lastRun]));
  }

  /** Stops the timers and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs.values()) await job.task.destroy();
    await Promise.all([...this.jobs.values()].flatMap((job) => (job.running ? [job.running] : [])));
  }
}
