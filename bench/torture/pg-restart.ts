import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { promisify } from "node:util";
import { openPostgres } from "../../src/db/postgres.js";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import { REPLY_PRIORITY } from "../../src/workflow/replies/create-reply.js";
import { silentLogger } from "../../test/support/logger.js";
import { parseLogLine } from "../../test/support/spawn-bot.js";
import { printTally, startPoolRig, tally, violates, type Mention, type PoolRig } from "./pool.js";
import { startReplicaSet } from "./replica-set.js";
import { createMigratedScratchDatabase } from "./scratch-database.js";

const REPLICAS = 2;
const BACKLOG = 1000;
/** Postgres is restarted once this many replies of the backlog are out. */
const RESTART_AT = 100;
const DRAIN_DEADLINE_MS = 150_000;
const SETTLE_MS = 3_000;
const LEASE_SECONDS = 20;
/** How often the bench counts the replies at X: the fake X shares this process, so counting must stay cheap. */
const POLL_MS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

/** How many of `mentions` have a reply at the fake X, in one pass over its posts. */
function answeredCount(pool: PoolRig, mentions: readonly Mention[]): number {
  const answered = new Set(pool.rig.x.tweets().flatMap((tweet) => (tweet.referenced_tweets ?? []).filter((ref) => ref.type === "replied_to").map((ref) => ref.id)));
  return mentions.filter(({ post }) => answered.has(post.id)).length;
}

/** Restarts the local cluster (`pg_ctlcluster <version> main restart`, the newest version under /etc/postgresql). */
async function restartPostgres(): Promise<string> {
  const version = readdirSync("/etc/postgresql").sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!version) throw new Error("no cluster under /etc/postgresql");
  await run("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "restart"]);
  return `${version}/main`;
}

/** Approved, due replies to `count` mentions, bound to the accounts in turn, written straight into the database. */
async function seedBacklog(pool: PoolRig, url: string, count: number): Promise<Mention[]> {
  const handle = openPostgres(url, silentLogger());
  try {
    const rows = await handle.db.select().from(xAccounts);
    const byUsername = new Map(pool.accounts.map((user, index) => [user.username, rows.find((row) => row.label === ["main", "pool_b", "pool_c"][index])]));
    const mentions = Array.from({ length: count }, (_, i) => pool.addMention(i + 1));
    const past = new Date(Date.now() - 60_000);
    await handle.db.transaction(async (tx) => {
      for (const { post, account } of mentions) {
        const row = byUsername.get(account.username);
        if (!row) throw new Error(`no x_accounts row for @${account.username}`);
        const draft = `Answer to ${post.id}: it depends on the workload.`;
        await tx.insert(posts).values({
          tweetId: post.id,
          authorId: post.author_id,
          authorUsername: pool.rig.alice.username,
          text: post.text,
          source: "mention",
          sourceDetail: `mentions:${row.id}`,
          accountId: row.id,
          boundAccountId: row.id,
          answerable: true,
          state: "drafted",
        });
        await tx.insert(replies).values({
          postTweetId: post.id,
          accountId: row.id,
          boundAccountId: row.id,
          priority: REPLY_PRIORITY.mention,
          status: "approved",
          draft,
          weightedLength: draft.length,
          expiresAt: new Date(Date.now() + 86_400_000),
          decidedAt: past,
          scheduledAt: past,
        });
      }
    });
    return mentions;
  } finally {
    await handle.close();
  }
}

/**
 * Scenario 2: two replicas publish a backlog of 1,000 approved replies (three accounts, pacing off) and the PostgreSQL
 * server is restarted once, early in the drain. Prints whether a process exited, how long the backlog took to drain
 * after the restart, the longest pause in publishing, how many replies waited for their lease, and duplicates /
 * losses. Returns the violations found (none is right). `TORTURE_DEBUG=1` also prints every warn and error line.
 */
export async function torturePostgresRestart(): Promise<string[]> {
  const pool = await startPoolRig();
  try {
    return await restartDuringBacklog(pool);
  } finally {
    await pool.rig.close();
  }
}

async function restartDuringBacklog(pool: PoolRig): Promise<string[]> {
  console.log(`-- 2. ${REPLICAS} replicas publishing a backlog of ${BACKLOG}; PostgreSQL restarted once after ${RESTART_AT} --`);
  const database = await createMigratedScratchDatabase("torture_pg");
  const set = startReplicaSet(
    "p",
    REPLICAS,
    pool.env({ DATABASE_URL: database.url, PUBLISH_CRON: "* * * * * *", PUBLISH_LEASE_SECONDS: String(LEASE_SECONDS), PUBLISH_RETRY_BASE_SECONDS: "2" }),
  );
  let mentions: Mention[] = [];
  let failure: string | undefined;
  const figures: string[] = [];
  try {
    await Promise.all(set.replicas.map((replica) => set.up(replica)));
    mentions = await seedBacklog(pool, database.url, BACKLOG);
    const seededAt = performance.now();
    const published = () => answeredCount(pool, mentions);
    while (published() < RESTART_AT && performance.now() - seededAt < 60_000) await sleep(POLL_MS);
    const before = published();
    const restartStarted = performance.now();
    const cluster = await restartPostgres();
    const restartEnded = performance.now();
    const atRestartEnd = published();
    figures.push(
      `  published before the restart: ${before}/${BACKLOG} (${((restartStarted - seededAt) / 1000).toFixed(1)} s after seeding); ` +
        `pg_ctlcluster ${cluster} restart took ${((restartEnded - restartStarted) / 1000).toFixed(1)} s (${atRestartEnd - before} published meanwhile)`,
    );
    let resumedAt: number | undefined;
    let last = { count: atRestartEnd, at: restartEnded };
    let longestStall = { ms: 0, remaining: 0 };
    for (let count = atRestartEnd; count < BACKLOG && performance.now() - restartEnded < DRAIN_DEADLINE_MS; count = published()) {
      const now = performance.now();
      if (count > last.count) {
        if (now - last.at > longestStall.ms) longestStall = { ms: now - last.at, remaining: BACKLOG - last.count };
        last = { count, at: now };
      }
      if (resumedAt === undefined && count > atRestartEnd) resumedAt = now;
      await sleep(POLL_MS);
    }
    const drainedAt = performance.now();
    if (published() < BACKLOG) failure = `the backlog did not drain within ${DRAIN_DEADLINE_MS / 1000} s of the restart (${published()}/${BACKLOG})`;
    else {
      figures.push(
        `  backlog drained ${((drainedAt - restartEnded) / 1000).toFixed(1)} s after the restart ended ` +
          `(${BACKLOG - atRestartEnd} replies then; the first of them ${resumedAt === undefined ? "-" : `${((resumedAt - restartEnded) / 1000).toFixed(1)} s`} after it; ` +
          `${((drainedAt - seededAt) / 1000).toFixed(1)} s from seeding in all)`,
        `  longest time with nothing published after the restart: ${(longestStall.ms / 1000).toFixed(1)} s (${longestStall.remaining} replies still to go)`,
      );
    }
    await sleep(SETTLE_MS);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    await set.stop();
    await database.drop();
  }
  const crashes = set.replicas.flatMap((replica) => replica.crashes);
  const counts = tally(pool, mentions);
  const warnings = set.replicas.map((replica) => replica.bot.lines.map(parseLogLine).filter((entry) => Number(entry?.level) >= 40));
  const dbErrors = set.replicas.map((replica, index) => `${replica.name} ${warnings[index]!.length}`);
  const kinds = [...new Set(warnings.flat().map((entry) => String(entry?.msg)))];
  for (const line of figures) console.log(line);
  console.log(`  processes that exited by themselves: ${crashes.length}; warn/error log lines per replica: ${dbErrors.join(", ")}`);
  if (kinds.length > 0) console.log(`    their messages: ${kinds.slice(0, 6).join(" | ")}`);
  const leaseReleased = warnings.flat().filter((entry) => entry?.msg === "publish claims released for reconciliation");
  console.log(`  replies that waited for their lease (${LEASE_SECONDS} s) to end: ${leaseReleased.reduce((sum, entry) => sum + Number(entry?.count ?? 0), 0)}`);
  if (process.env.TORTURE_DEBUG) for (const entry of warnings.flat()) console.log(JSON.stringify(entry).slice(0, 1500));
  printTally(mentions.length, counts);
  for (const crash of crashes.slice(0, 5)) console.log(`    ${crash}`);
  return [...(failure ? [failure] : []), ...(violates(counts) ? counts.problems : []), ...crashes];
}
