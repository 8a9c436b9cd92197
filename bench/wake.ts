import { NEVER_CRON, pickupOurs } from "./queue-ours.js";
import { withScratchDatabase } from "./scratch-db.js";
import { formatMs } from "./stats.js";

const APPROVALS = 50;
/** Approvals timed in the poll-only run: each comes at a random point of the cron's 10 s and waits for its tick. */
const POLL_APPROVALS = 4;
/** The product's default PUBLISH_CRON. */
const POLL_CRON = "*/10 * * * * *";

/**
 * Approve → claim across two replicas on the local PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the
 * CI server), in a scratch database: replica A commits an approved, due reply and wakes (NOTIFY); replica B, listening
 * with its own pool, publishes it. Measured from A's commit to B's first X call for it, which follows its claim's
 * commit. Then the same with wake-ups off, B left to its cron poll (PUBLISH_CRON default). Figures printed, never asserted.
 */
export async function benchWake(): Promise<void> {
  // A scratch database each: each measurement has its own fake X, whose post ids start over.
  const notified = await withScratchDatabase("wake", (url) =>
    pickupOurs({ url, approvals: APPROVALS, notify: true, pollCron: NEVER_CRON, timeoutMs: 5_000 }),
  );
  const polled = await withScratchDatabase("wake", (url) =>
    pickupOurs({ url, approvals: POLL_APPROVALS, notify: false, pollCron: POLL_CRON, timeoutMs: 15_000, spreadMs: 10_000 }),
  );
  console.log("approve (commit) on replica A → replica B, local PostgreSQL:");
  console.log(`  LISTEN/NOTIFY, B's publish run starts: ${formatMs(notified.wake)}`);
  console.log(`  LISTEN/NOTIFY, B claims (its first X call after the claim): ${formatMs(notified.claim)}`);
  console.log(`  cron poll only (${POLL_CRON}), B claims: ${formatMs(polled.claim)}`);
}
