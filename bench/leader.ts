import postgres from "postgres";
import { connectLeaderLock } from "../src/db/leader-lock.js";
import { LeaderElection, leaderIntervalMs } from "../src/lifecycle/leader.js";
import { silentLogger } from "../test/support/logger.js";
import { measureTakeovers, printTakeovers } from "./takeover.js";

const RUNS = 10;
/** LEADER_TAKEOVER_SECONDS of the bench: `--takeover N`, else the default 10; the stand-bys try every third of it. */
function takeoverSeconds(): number {
  const at = process.argv.indexOf("--takeover");
  const value = at >= 0 ? Number(process.argv[at + 1]) : 10;
  return Number.isInteger(value) && value > 0 ? value : 10;
}

/** Resolves with when (performance.now) the first of the elections leads, or rejects after `ms`. */
function firstToLead(elections: readonly LeaderElection[], ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no replica took over within ${ms} ms`)), ms);
    elections.forEach((election) =>
      election.onChange((leader) => {
        if (!leader) return;
        clearTimeout(timer);
        resolve(performance.now());
      }),
    );
  });
}

/**
 * Leader takeover on the local PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the CI server): two
 * in-process replicas with their own lock connections; the leader's connection is terminated from outside
 * (`pg_terminate_backend`, as when its process or host dies) 10 times; measured from the termination to the moment
 * the other replica leads. Figures printed, never asserted.
 */
export async function benchLeader(): Promise<void> {
  const takeover = takeoverSeconds();
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  // Its own key: the bench never fights a bot (or a test) running on the same database.
  const key = 7_261_990_900;
  const admin = postgres(url, { max: 1, onnotice: () => undefined });
  const intervalMs = leaderIntervalMs(takeover);
  const elections = ["a", "b"].map(
    (id) => new LeaderElection({ connect: (onLost) => connectLeaderLock(url, onLost, key), intervalMs, logger: silentLogger(), id }),
  );
  let takeovers: number[] = [];
  try {
    for (const election of elections) await election.start();
    takeovers = await measureTakeovers(RUNS, intervalMs, async () => {
      const leader = elections.findIndex((election) => election.isLeader());
      const [holder] = await admin<{ pid: number }[]>`
        select pid from pg_locks where locktype = 'advisory' and granted and classid = ${Math.floor(key / 2 ** 32)} and objid = ${key % 2 ** 32}`;
      if (!holder) throw new Error("no session holds the leader lock");
      const next = firstToLead(elections.filter((_, index) => index !== leader), takeover * 2_000);
      return {
        kill: async () => {
          const killedAt = performance.now();
          await admin`select pg_terminate_backend(${holder.pid})`;
          return killedAt;
        },
        nextLeader: () => next,
      };
    });
  } finally {
    await Promise.all(elections.map((election) => election.stop()));
    await admin.end({ timeout: 5 });
  }
  printTakeovers(`leader takeover after the leader's connection died (LEADER_TAKEOVER_SECONDS=${takeover}, tries every ${intervalMs} ms):`, takeovers);
}
