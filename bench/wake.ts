import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { connectNotifications, soloNotifications } from "../src/db/notifications.js";
import { openPostgres } from "../src/db/postgres.js";
import { Scheduler } from "../src/lifecycle/scheduler.js";
import { createWakeups, type Wakeups } from "../src/lifecycle/wakeups.js";
import { JOBS } from "../src/workflow/services.js";
import type { XAccountClient } from "../src/x/types.js";
import { startFakeX } from "../test/support/fake-x/index.js";
import { silentLogger } from "../test/support/logger.js";
import { createPublishFixture } from "../test/support/publish-fixture.js";
import { formatMs } from "./stats.js";

const APPROVALS = 50;
/** Approvals timed in the poll-only run: each comes at a random point of the cron's 10 s and waits for its tick. */
const POLL_APPROVALS = 4;
/** The product's default PUBLISH_CRON. */
const POLL_CRON = "*/10 * * * * *";
const TOKEN = "bench-wake-token";

/** Calls `onCall` before each call the client makes (a reply's first X call comes right after its claim commits). */
function watched(client: XAccountClient, onCall: () => void): XAccountClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        onCall();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * Approve → claim across two replicas on the local PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the
 * CI server), in a scratch database: replica A commits an approved, due reply and wakes (NOTIFY); replica B, listening
 * with its own pool, publishes it. Measured from A's commit to B's first X call for it, which follows its claim's
 * commit. Then the same with wake-ups off, B left to its cron poll (PUBLISH_CRON default). Figures printed, never asserted.
 */
export async function benchWake(): Promise<void> {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const name = `rgb_bench_wake_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const a = openPostgres(url.toString(), silentLogger());
  const b = openPostgres(url.toString(), silentLogger());
  const x = await startFakeX();
  const stops: (() => Promise<unknown>)[] = [];
  try {
    await a.migrate();
    x.addUser({ id: "920001", username: "replyguy", name: "Reply Guy", accessToken: TOKEN });
    const alice = x.addUser({ id: "920002", username: "alice", name: "Alice" });
    const fixture = createPublishFixture({ db: () => a.db, x: () => x, now: () => new Date(), token: TOKEN });
    let calledAt: number | undefined;
    let wokeAt: number | undefined;
    const replicaB = await fixture.build({ db: b.db, wrap: (client) => watched(client, () => (calledAt ??= performance.now())) });

    /** Replica A (publishes nothing) and B (publishes), each with its scheduler and wake-ups; B polls on `cron`. */
    async function replicas(notify: boolean, cron: string): Promise<Wakeups> {
      const made: Wakeups[] = [];
      const publishOnB = () => {
        wokeAt ??= performance.now();
        return replicaB.publisher.runOnce();
      };
      for (const publish of [() => Promise.resolve(), publishOnB]) {
        const scheduler = new Scheduler(silentLogger());
        scheduler.add(JOBS.publish, made.length === 0 ? "0 0 1 1 *" : cron, async () => {
          await publish();
        });
        const wakeups = createWakeups({
          notifications: notify ? connectNotifications(url.toString()) : soloNotifications,
          scheduler,
          publishJob: JOBS.publish,
          logger: silentLogger(),
        });
        await wakeups.start({ syncCards: () => Promise.resolve(0), dropSettings: () => undefined, isLeader: () => true });
        await scheduler.start();
        stops.push(() => scheduler.stop(), () => wakeups.stop());
        made.push(wakeups);
      }
      return made[0]!;
    }

    async function measure(wakeA: Wakeups, approvals: number, timeoutMs: number, spreadMs = 0): Promise<{ claim: number[]; wake: number[] }> {
      const samples = { claim: [] as number[], wake: [] as number[] };
      for (let i = 0; i < approvals; i++) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * spreadMs));
        calledAt = undefined;
        wokeAt = undefined;
        await fixture.seedReply(replicaB.account.id, alice);
        const approvedAt = performance.now();
        await wakeA.publishNow();
        const deadline = approvedAt + timeoutMs;
        while (calledAt === undefined && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 0.2));
        if (calledAt === undefined) throw new Error(`replica B did not pick the reply up within ${timeoutMs} ms`);
        samples.claim.push(calledAt - approvedAt);
        // The run that claimed started at or after the approval (an earlier one is left by the 20 ms pause below).
        if (wokeAt !== undefined && wokeAt >= approvedAt) samples.wake.push(wokeAt - approvedAt);
        // Let B's run finish (post, mark published) before the next approval.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return samples;
    }

    const notified = await measure(await replicas(true, "0 0 1 1 *"), APPROVALS, 5_000);
    for (const stop of stops.splice(0)) await stop();
    const polled = await measure(await replicas(false, POLL_CRON), POLL_APPROVALS, 15_000, 10_000);
    console.log("approve (commit) on replica A → replica B, local PostgreSQL:");
    console.log(`  LISTEN/NOTIFY, B's publish run starts: ${formatMs(notified.wake)}`);
    console.log(`  LISTEN/NOTIFY, B claims (its first X call after the claim): ${formatMs(notified.claim)}`);
    console.log(`  cron poll only (${POLL_CRON}), B claims: ${formatMs(polled.claim)}`);
  } finally {
    for (const stop of stops.splice(0)) await stop();
    await x.close();
    await a.close();
    await b.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  }
}
