/**
 * The leader election on a real PostgreSQL server (TEST_DATABASE_URL, as `npm run test:pg` sets it): one session-level
 * advisory lock on a dedicated connection per replica. Each test uses its own random lock key, so tests (and other
 * users of the server) never see each other's lock.
 */
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectLeaderLock } from "../../src/db/leader-lock.js";
import { LeaderElection, leaderIntervalMs, singleProcessLeadership } from "../../src/lifecycle/leader.js";
import { silentLogger } from "../support/logger.js";

const serverUrl = process.env.TEST_DATABASE_URL;
const INTERVAL_MS = 300;

/** Resolves when the election reports `leader` (at once when it is already there), with the time it took. */
function becomes(election: LeaderElection, leader: boolean, timeoutMs = 5_000): Promise<number> {
  const started = performance.now();
  if (election.isLeader() === leader) return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still ${leader ? "not leading" : "leading"} after ${timeoutMs} ms`)), timeoutMs);
    election.onChange((now) => {
      if (now !== leader) return;
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

describe.runIf(serverUrl)("leader election (PostgreSQL advisory lock)", () => {
  let admin: postgres.Sql;
  let key: number;
  const elections: LeaderElection[] = [];

  const election = (id: string) => {
    const created = new LeaderElection({
      connect: (onLost) => connectLeaderLock(serverUrl!, onLost, key),
      intervalMs: INTERVAL_MS,
      logger: silentLogger(),
      id,
    });
    elections.push(created);
    return created;
  };
  /** Backend pid of the session holding this test's lock, if any. */
  const holderPid = async (): Promise<number | undefined> => {
    const [row] = await admin<{ pid: number }[]>`
      select pid from pg_locks where locktype = 'advisory' and granted and classid = 0 and objid = ${key} and objsubid = 1`;
    return row?.pid;
  };

  beforeAll(() => {
    admin = postgres(serverUrl!, { max: 1, onnotice: () => undefined });
  });
  afterEach(async () => {
    await Promise.all(elections.splice(0).map((e) => e.stop()));
  });
  afterAll(async () => {
    await admin.end({ timeout: 5 });
  });
  // A fresh key per test: below 2^31, so pg_locks shows it in objid with classid 0.
  const newKey = () => {
    key = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
  };

  it("of two replicas on separate connections, exactly one leads", async () => {
    newKey();
    const a = election("a");
    const b = election("b");
    await Promise.all([a.start(), b.start()]);
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    expect([a.status().role, b.status().role].sort()).toEqual(["leader", "standby"]);
    expect(await holderPid()).toBeDefined();
  });

  it("a leader whose connection is terminated steps down, and the stand-by takes over within the interval", async () => {
    newKey();
    const a = election("a");
    await a.start();
    const b = election("b");
    await b.start();
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    const oldPid = await holderPid();
    const stepsDown = becomes(a, false);
    const takesOver = becomes(b, true);
    await admin`select pg_terminate_backend(${oldPid!})`;
    expect(await stepsDown).toBeLessThan(INTERVAL_MS * 2);
    expect(await takesOver).toBeLessThan(INTERVAL_MS * 2);
    expect(a.isLeader()).toBe(false);
    const newPid = await holderPid();
    expect(newPid).toBeDefined();
    expect(newPid).not.toBe(oldPid);
  });

  it("stop() releases the lock: the stand-by takes over at its next try", async () => {
    newKey();
    const a = election("a");
    await a.start();
    const b = election("b");
    await b.start();
    const takesOver = becomes(b, true);
    await a.stop();
    expect(a.isLeader()).toBe(false);
    expect(await takesOver).toBeLessThan(INTERVAL_MS * 1.5);
  });

  it("a stand-by never leads while another session holds the lock, and leads once it is released", async () => {
    newKey();
    const holder = postgres(serverUrl!, { max: 1, onnotice: () => undefined });
    try {
      await holder`select pg_advisory_lock(${key})`;
      const b = election("b");
      let led = false;
      b.onChange((leader) => (led ||= leader));
      await b.start();
      // Ten tries of the stand-by while the lock is held.
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 10));
      expect(led).toBe(false);
      expect(b.status().role).toBe("standby");
      const takesOver = becomes(b, true);
      await holder`select pg_advisory_unlock(${key})`;
      expect(await takesOver).toBeLessThan(INTERVAL_MS * 1.5);
    } finally {
      await holder.end({ timeout: 5 });
    }
  });
});

describe("leader election without PostgreSQL", () => {
  it("on PGlite the single process always leads", async () => {
    const leadership = singleProcessLeadership("host:1");
    const changes: boolean[] = [];
    leadership.onChange((leader) => changes.push(leader));
    await leadership.start();
    expect(leadership.isLeader()).toBe(true);
    expect(leadership.status()).toMatchObject({ id: "host:1", role: "leader", election: "single_process" });
    expect(changes).toEqual([true]);
  });

  it("a leader whose session stops answering (a network partition) steps down within the interval", async () => {
    let answering = true;
    const hung = new Promise<boolean>(() => undefined);
    let closed = 0;
    const election = new LeaderElection({
      connect: () => ({
        tryLock: () => Promise.resolve(true),
        holds: () => (answering ? Promise.resolve(true) : hung),
        close: () => Promise.resolve(void closed++),
      }),
      intervalMs: 100,
      logger: silentLogger(),
      id: "partitioned",
    });
    const changes: boolean[] = [];
    election.onChange((leader) => changes.push(leader));
    await election.start();
    expect(election.isLeader()).toBe(true);
    const started = performance.now();
    answering = false;
    await new Promise<void>((resolve) => election.onChange((leader) => leader || resolve()));
    expect(performance.now() - started).toBeLessThan(100 * 3);
    expect(changes).toEqual([true, false]);
    expect(closed).toBe(1);
    await election.stop();
  });

  it("tries a third of LEADER_TAKEOVER_SECONDS apart, so a takeover fits in it", () => {
    expect(leaderIntervalMs(10)).toBe(3_333);
    expect(leaderIntervalMs(3)).toBe(1_000);
    expect(leaderIntervalMs(1)).toBe(333);
  });
});
