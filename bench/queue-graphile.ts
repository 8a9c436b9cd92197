import { Logger, makeWorkerUtils, run, runMigrations } from "graphile-worker";
import pg from "pg";

/** graphile-worker's logger, silenced (its job lines would swamp the figures). */
const quiet = new Logger(() => () => undefined);
const TASK = "bench";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `use` with a pool of our own for graphile-worker (its default, 10 connections), ended afterwards: a pool the
 * runner made would outlive `runner.stop()` and crash the bench when the scratch database is dropped under it.
 */
async function withPool<T>(url: string, use: (pgPool: pg.Pool) => Promise<T>): Promise<T> {
  const pgPool = new pg.Pool({ connectionString: url, max: 10 });
  // graphile-worker insists on error handlers on the pool and on each client (the drop ends their sessions).
  pgPool.on("error", () => undefined);
  pgPool.on("connect", (client) => client.on("error", () => undefined));
  try {
    await runMigrations({ pgPool, logger: quiet });
    return await use(pgPool);
  } finally {
    await pgPool.end();
  }
}

/**
 * graphile-worker's pick-up latency in the database at `url` (its schema installed here): one worker (concurrency 1,
 * LISTEN/NOTIFY as it always runs); each of `jobs` jobs is added alone, and timed from `addJob`'s return (the
 * commit) to the start of its task. Samples in ms.
 */
export function pickupGraphile(url: string, jobs: number): Promise<number[]> {
  return withPool(url, (pgPool) => pickup(pgPool, jobs));
}

async function pickup(pgPool: pg.Pool, jobs: number): Promise<number[]> {
  let startedAt: number | undefined;
  const runner = await run({
    pgPool,
    concurrency: 1,
    noHandleSignals: true,
    logger: quiet,
    taskList: {
      [TASK]: () => {
        startedAt ??= performance.now();
      },
    },
  });
  const utils = await makeWorkerUtils({ pgPool, logger: quiet });
  const samples: number[] = [];
  try {
    for (let i = 0; i < jobs; i++) {
      startedAt = undefined;
      await utils.addJob(TASK, { i });
      const added = performance.now();
      const deadline = added + 5_000;
      while (startedAt === undefined && performance.now() < deadline) await sleep(0.2);
      if (startedAt === undefined) throw new Error("graphile-worker did not start the job within 5 s");
      samples.push(startedAt - added);
      await sleep(20);
    }
    return samples;
  } finally {
    await utils.release();
    await runner.stop();
  }
}

/**
 * graphile-worker draining a backlog of `n` no-op jobs (added in one `addJobs`) with `concurrency` workers, from
 * the runner's start to the end of the last task. Seconds.
 */
export function drainGraphile(url: string, n: number, concurrency: number): Promise<number> {
  return withPool(url, (pgPool) => drain(pgPool, n, concurrency));
}

async function drain(pgPool: pg.Pool, n: number, concurrency: number): Promise<number> {
  const utils = await makeWorkerUtils({ pgPool, logger: quiet });
  try {
    await utils.addJobs(Array.from({ length: n }, (_, i) => ({ identifier: TASK, payload: { i } })));
  } finally {
    await utils.release();
  }
  let done = 0;
  let finished: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const started = performance.now();
  const runner = await run({
    pgPool,
    concurrency,
    noHandleSignals: true,
    logger: quiet,
    taskList: {
      [TASK]: () => {
        if (++done === n) finished();
      },
    },
  });
  try {
    await all;
    return (performance.now() - started) / 1000;
  } finally {
    await runner.stop();
  }
}
