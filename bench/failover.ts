import { PGlite } from "@electric-sql/pglite";
import { and, asc, eq, gte } from "drizzle-orm";
import { pgliteHandle } from "../src/db/pglite.js";
import { publishAttempts } from "../src/db/schema.js";
import { singleFlight } from "../src/kit/single-flight.js";
import { createAccountMonitor } from "../src/workflow/account-monitor.js";
import type { PublishRunResult } from "../src/workflow/publisher.js";
import { startFakeX, type FakeXUser } from "../test/support/fake-x/index.js";
import { silentLogger } from "../test/support/logger.js";
import { createPublishFixture } from "../test/support/publish-fixture.js";
import { clearWorkflowTables } from "../test/support/workflow-fixtures.js";
import { formatMs } from "./stats.js";

const RUNS = 10;
/** A free approved reply joins the queue this often (and wakes the publisher, as an approval does in the app). */
const STREAM_EVERY_MS = 150;
/** Replies published before the revocation, so all three accounts are warm. */
const WARM_UP = 6;
/** The health monitor's tick in the app (ACCOUNT_HEALTH_CRON) and the default ACCOUNT_HEALTH_INTERVAL_SECONDS. */
const MONITOR_TICK_MS = 5_000;
const HEALTH_INTERVAL_MS = 60_000;
const RUN_DEADLINE_MS = 30_000;
const TOKENS = { a: "failover-a", b: "failover-b", c: "failover-c" } as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Failover time on the embedded database and the fake X: three accounts publish a stream of free approved
 * replies (round robin, no gap); account a's token is revoked at a random moment; measured from the revocation
 * to a's first refusal (the account leaves the pool) and to the first publish, by b or c, of a reply a was
 * holding (its redistribution). The publisher runs on each new reply and the health monitor ticks as in the app.
 * 10 runs; figures printed, never asserted.
 */
export async function benchFailover(): Promise<void> {
  const client = await PGlite.create();
  const handle = pgliteHandle(client);
  await handle.migrate();
  const x = await startFakeX();
  let users: { a: FakeXUser; b: FakeXUser; c: FakeXUser } | undefined;
  let alice: FakeXUser | undefined;
  const fixture = createPublishFixture({ db: () => handle.db, x: () => x, now: () => new Date(), token: TOKENS.a, label: "a" });
  const toFailed: number[] = [];
  const toRedistributed: number[] = [];
  const monitorChecks: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      await clearWorkflowTables(handle.db);
      x.reset();
      users = {
        a: x.addUser({ id: "840001", username: "replyguy", accessToken: TOKENS.a }),
        b: x.addUser({ id: "840002", username: "replygal", accessToken: TOKENS.b }),
        c: x.addUser({ id: "840003", username: "replybot", accessToken: TOKENS.c }),
      };
      alice = x.addUser({ id: "840009", username: "alice" });
      const rig = await fixture.build({ pool: [{ label: "b", token: TOKENS.b }, { label: "c", token: TOKENS.c }], strategy: "round_robin" });
      for (const account of rig.accounts.all()) await rig.accounts.identity(account);
      const publish = singleFlight(() => rig.publisher.runOnce(), {
        rerun: true,
        combine: (total: PublishRunResult, next: PublishRunResult) => ({
          published: total.published + next.published,
          failed: total.failed + next.failed,
          retrying: total.retrying + next.retrying,
        }),
      });
      const monitor = createAccountMonitor({
        accounts: rig.accounts,
        logger: silentLogger(),
        intervalMs: HEALTH_INTERVAL_MS,
        failAfterMs: 600_000,
        breakerDownSince: () => undefined,
        wakePublisher: () => void publish(),
      });
      let checks = 0;
      const ticker = setInterval(() => {
        void monitor.runOnce().then((result) => {
          checks += result.checked.length;
        });
      }, MONITOR_TICK_MS);
      const a = rig.account.id;
      const stream = async () => {
        await fixture.seedReply(a, alice!);
        void publish();
      };
      try {
        for (let i = 0; i < WARM_UP; i++) {
          await stream();
          await sleep(STREAM_EVERY_MS);
        }
        await sleep(Math.random() * STREAM_EVERY_MS);
        const revokedAt = new Date();
        x.setUserAccess(users.a.id, "revoked");
        const found = await (async () => {
          while (Date.now() - revokedAt.getTime() < RUN_DEADLINE_MS) {
            const moved = await firstRedistribution(handle.db, a, revokedAt);
            if (moved) return moved;
            await stream();
            await sleep(STREAM_EVERY_MS);
          }
          return undefined;
        })();
        if (!found) throw new Error(`run ${run}: no reply of a was published by another account within ${RUN_DEADLINE_MS} ms`);
        toFailed.push(found.refusedAt - revokedAt.getTime());
        toRedistributed.push(found.publishedAt - revokedAt.getTime());
        monitorChecks.push(checks);
      } finally {
        clearInterval(ticker);
        await publish();
      }
    }
  } finally {
    await x.close();
    await handle.close();
  }
  const p90 = (samples: readonly number[]) => [...samples].sort((p, q) => p - q)[Math.ceil(0.9 * samples.length) - 1] ?? Number.NaN;
  console.log(`stream: a free reply every ${STREAM_EVERY_MS} ms over 3 accounts (round_robin), ${RUNS} runs`);
  console.log(`revocation → a refused (out of the pool):          ${formatMs(toFailed)}, p90 ${p90(toFailed).toFixed(1)} ms`);
  console.log(`revocation → first redistributed publish (b or c): ${formatMs(toRedistributed)}, p90 ${p90(toRedistributed).toFixed(1)} ms`);
  console.log(`users/me checks by the health monitor per run (the accounts were busy): ${monitorChecks.join(", ")}`);
}

/**
 * The first reply a had claimed after `since` and handed back (its attempt ended `retry`) that another account
 * then published: when a was refused, and when the other account's attempt finished.
 */
async function firstRedistribution(
  db: Parameters<typeof clearWorkflowTables>[0],
  accountId: number,
  since: Date,
): Promise<{ refusedAt: number; publishedAt: number } | undefined> {
  const handedBack = await db
    .select()
    .from(publishAttempts)
    .where(and(eq(publishAttempts.accountId, accountId), eq(publishAttempts.outcome, "retry"), gte(publishAttempts.startedAt, since)))
    .orderBy(asc(publishAttempts.startedAt));
  for (const back of handedBack) {
    const [taken] = await db
      .select()
      .from(publishAttempts)
      .where(and(eq(publishAttempts.replyId, back.replyId), eq(publishAttempts.outcome, "posted")));
    if (taken?.finishedAt && back.finishedAt && taken.accountId !== accountId) {
      return { refusedAt: back.finishedAt.getTime(), publishedAt: taken.finishedAt.getTime() };
    }
  }
  return undefined;
}
