import PgBoss from "pg-boss";

const QUEUE = "bench";
/** pg-boss's smallest polling interval (it has no LISTEN/NOTIFY: a worker fetches once per interval). */
const POLL_SECONDS = 0.5;
/**
 * Jobs fetched per poll in the drain. pg-boss waits out the rest of its interval after each fetch, so one worker
 * drains at most this many jobs per 0.5 s: the batch, not the database, sets its throughput.
 */
export const PGBOSS_DRAIN_BATCH = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** pg-boss started on the database at `url` (its schema installed), with its queue; maintenance and cron off. */
async function startBoss(url: string): Promise<{ boss: PgBoss; stop: () => Promise<void> }> {
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
  let stopping = false;
  // Once stopping, a worker's fetch cut short by the scratch database's drop is expected.
  boss.on("error", (error) => {
    if (!stopping) console.error(`pg-boss: ${error.message}`);
  });
  await boss.start();
  await boss.createQueue(QUEUE);
  const stop = () => {
    stopping = true;
    return boss.stop({ graceful: false, wait: true });
  };
  return { boss, stop };
}

/**
 * pg-boss's pick-up latency in the database at `url`: one worker (batch 1, polling every 0.5 s, its minimum); each of
 * `jobs` jobs is sent alone and timed from `send`'s return (the commit) to its handler's start. Samples in ms.
 */
export async function pickupPgBoss(url: string, jobs: number): Promise<number[]> {
  const { boss, stop } = await startBoss(url);
  let startedAt: number | undefined;
  const samples: number[] = [];
  try {
    await boss.work(QUEUE, { batchSize: 1, pollingIntervalSeconds: POLL_SECONDS }, () => {
      startedAt ??= performance.now();
      return Promise.resolve();
    });
    for (let i = 0; i < jobs; i++) {
      startedAt = undefined;
      await boss.send(QUEUE, { i });
      const sent = performance.now();
      const deadline = sent + 5_000;
      while (startedAt === undefined && performance.now() < deadline) await sleep(0.2);
      if (startedAt === undefined) throw new Error("pg-boss did not start the job within 5 s");
      samples.push(startedAt - sent);
      await sleep(20);
    }
    return samples;
  } finally {
    await stop();
  }
}

/**
 * pg-boss draining a backlog of `n` no-op jobs (one `insert`) with `workers` workers (pg-boss 10 has no teamSize: one
 * `work` call per worker), each fetching {@link PGBOSS_DRAIN_BATCH} jobs per poll, from the first `work` call to the
 * end of the last batch. Seconds.
 */
export async function drainPgBoss(url: string, n: number, workers: number): Promise<number> {
  const { boss, stop } = await startBoss(url);
  try {
    await boss.insert(Array.from({ length: n }, (_, i) => ({ name: QUEUE, data: { i } })));
    let done = 0;
    let finished: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (finished = resolve));
    const started = performance.now();
    for (let w = 0; w < workers; w++) {
      await boss.work(QUEUE, { batchSize: PGBOSS_DRAIN_BATCH, pollingIntervalSeconds: POLL_SECONDS }, (jobs) => {
        done += jobs.length;
        if (done >= n) finished();
        return Promise.resolve();
      });
    }
    await all;
    return (performance.now() - started) / 1000;
  } finally {
    await stop();
  }
}
