import { startFakeX } from "../test/support/fake-x/index.js";
import { countOption } from "./options.js";
import { drainGraphile, pickupGraphile } from "./queue-graphile.js";
import {
  BENCH_FAKE_X_LIMITS,
  NEVER_CRON,
  drainOurs,
  openCountedPglite,
  openCountedPostgres,
  pickupOurs,
  prefillHistory,
  type CountedDatabase,
  type DrainResult,
} from "./queue-ours.js";
import { drainPgBoss, pickupPgBoss, PGBOSS_DRAIN_BATCH } from "./queue-pgboss.js";
import { withScratchDatabase } from "./scratch-db.js";
import { summarize } from "./stats.js";

const PICKUPS = 50;
const WORKER_COUNTS = [1, 4] as const;
/** Replies drained before and after the history is added. */
const HISTORY_DRAIN = 1_000;

/** One line of the table: a figure for each system (undefined: not measured), and which way is better. */
interface Row {
  readonly label: string;
  readonly unit: string;
  readonly better: "lower" | "higher" | "";
  readonly ours: number;
  readonly graphile?: number;
  readonly pgBoss?: number;
}

/** "12.3" with the precision a figure of that size deserves. */
function figure(value: number | undefined): string {
  if (value === undefined) return "—";
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Another system's figure divided by ours ("—" when either is missing). */
function ratio(other: number | undefined, ours: number): string {
  return other === undefined || ours === 0 ? "—" : `${(other / ours).toFixed(2)}×`;
}

/** Prints the rows as one aligned table. */
function printTable(rows: readonly Row[]): void {
  const head = ["", "unit", "better", "ours", "graphile-worker", "pg-boss", "graphile ÷ ours", "pg-boss ÷ ours"];
  const cells = rows.map((row) => [
    row.label,
    row.unit,
    row.better,
    figure(row.ours),
    figure(row.graphile),
    figure(row.pgBoss),
    ratio(row.graphile, row.ours),
    ratio(row.pgBoss, row.ours),
  ]);
  const widths = head.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const format = (line: readonly string[]) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  console.log(format(head));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const line of cells) console.log(format(line));
}

/** Our drain in a fresh scratch database on the server. */
function drainOursOnPostgres(n: number, workers: number): Promise<DrainResult> {
  return withScratchDatabase("queue_ours", async (url) => {
    const database = await openCountedPostgres(url);
    try {
      return await drainOurs({ database, n, workers, accounts: 1 });
    } finally {
      await database.close();
    }
  });
}

/** Runs `use` on a counted database and closes it. */
async function using<T>(open: Promise<CountedDatabase>, use: (database: CountedDatabase) => Promise<T>): Promise<T> {
  const database = await open;
  try {
    return await use(database);
  } finally {
    await database.close();
  }
}

/**
 * Our publish queue beside graphile-worker and pg-boss, measured in the same run on the local PostgreSQL
 * (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the CI server; each system in its own scratch database), in one
 * table: pick-up latency with LISTEN/NOTIFY (ours also on the approving replica itself), drain throughput of a no-op backlog with 1 and 4 workers; then ours
 * alone: the drain on PGlite, SQL statements per reply, a backlog against the fake X over loopback HTTP with three
 * accounts, with one lane and with one lane per account (wall time, time some X call was in flight, and our
 * overhead: the rest), and the cost of a reply with 100,000 replies of history.
 * Options: `--backlog N` (no-op backlog, default 5,000), `--n N` (fake-X backlog, default 2,000), `--history N`
 * (default 100,000). Figures printed, never asserted.
 */
export async function benchQueue(): Promise<void> {
  const backlog = countOption("backlog", "BENCH_QUEUE_BACKLOG", 5_000, 1_000_000);
  const fakeXBacklog = countOption("n", "BENCH_QUEUE_N", 2_000, 1_000_000);
  const history = countOption("history", "BENCH_QUEUE_HISTORY", 100_000, 10_000_000);
  const rows: Row[] = [];
  // Each row is printed as soon as it is measured too: a long run cut short (the shared server restarted) keeps them.
  const add = (...measured: Row[]) => {
    for (const row of measured) {
      rows.push(row);
      console.log(`  ${row.label.trim()}: ours ${figure(row.ours)}, graphile-worker ${figure(row.graphile)}, pg-boss ${figure(row.pgBoss)} ${row.unit}`);
    }
  };

  console.log(`pick-up: ${PICKUPS} single jobs each…`);
  const ours = await withScratchDatabase("queue_pickup", (url) =>
    pickupOurs({ url, approvals: PICKUPS, notify: true, pollCron: NEVER_CRON, timeoutMs: 5_000 }),
  );
  const graphile = await withScratchDatabase("queue_graphile", (url) => pickupGraphile(url, PICKUPS));
  const pgBoss = await withScratchDatabase("queue_pgboss", (url) => pickupPgBoss(url, PICKUPS));
  const local = await withScratchDatabase("queue_pickup", (url) =>
    pickupOurs({ url, approvals: PICKUPS, notify: true, pollCron: NEVER_CRON, timeoutMs: 5_000, local: true }),
  );
  // The anchors' pick-up always goes through their NOTIFY: the same figures stand beside both of ours.
  for (const [label, samples] of [
    ["pick-up (approval → claim answered)", ours.claimed],
    ["  → its first X call", ours.claim],
    ["  on the approving replica (no NOTIFY), → claim answered", local.claimed],
    ["  on the approving replica, → its first X call", local.claim],
  ] as const) {
    for (const [stat, key] of [["p50", "median"], ["p95", "p95"]] as const) {
      add({
        label: `${label} ${stat}`,
        unit: "ms",
        better: "lower",
        ours: summarize(samples)[key],
        graphile: summarize(graphile)[key],
        pgBoss: summarize(pgBoss)[key],
      });
    }
  }

  let statementsPerReply = 0;
  for (const workers of WORKER_COUNTS) {
    console.log(`drain: ${backlog} no-op jobs, ${workers} worker(s)…`);
    const drained = await drainOursOnPostgres(backlog, workers);
    if (workers === 1) statementsPerReply = drained.statements / backlog;
    const graphileSeconds = await withScratchDatabase("queue_graphile", (url) => drainGraphile(url, backlog, workers));
    const pgBossSeconds = await withScratchDatabase("queue_pgboss", (url) => drainPgBoss(url, backlog, workers));
    add({
      label: `drain ${backlog}, ${workers} worker${workers > 1 ? "s" : ""}`,
      unit: "jobs/s",
      better: "higher",
      ours: backlog / drained.seconds,
      graphile: backlog / graphileSeconds,
      pgBoss: backlog / pgBossSeconds,
    });
  }

  console.log(`drain on PGlite: ${backlog} replies…`);
  const onPglite = await using(openCountedPglite(), (database) => drainOurs({ database, n: backlog, workers: 1, accounts: 1 }));
  add({ label: `drain ${backlog} on PGlite, 1 worker`, unit: "jobs/s", better: "higher", ours: backlog / onPglite.seconds });
  add({ label: "SQL statements per reply", unit: "stmts", better: "lower", ours: statementsPerReply });
  add({ label: "  same, on PGlite", unit: "stmts", better: "lower", ours: onPglite.statements / backlog });

  // One lane, one lane per account (PUBLISH_CONCURRENCY=3) and two (6): X is kept busy by whichever lane is at X. Each
  // drain gets a fresh fake X: one that still held the posts of the drains before would answer the later ones slower.
  for (const workers of [1, 3, 6]) {
    console.log(`fake X: ${fakeXBacklog} replies over 3 accounts, ${workers} lane(s)…`);
    const x = await startFakeX({ rateLimits: BENCH_FAKE_X_LIMITS });
    try {
      const run = await withScratchDatabase("queue_fakex", (url) =>
        using(openCountedPostgres(url), (database) => drainOurs({ database, n: fakeXBacklog, workers, accounts: 3, x })),
      );
      add({ label: `fake X, N=${fakeXBacklog}, 3 accounts, ${workers} lane(s): wall`, unit: "s", better: "lower", ours: run.seconds });
      add({ label: "  time some X call was in flight", unit: "s", better: "", ours: run.xSeconds });
      add({ label: "  our overhead (wall − X busy) / wall", unit: "%", better: "lower", ours: (100 * (run.seconds - run.xSeconds)) / run.seconds });
    } finally {
      await x.close();
    }
  }

  console.log(`history: ${HISTORY_DRAIN} replies before and after ${history} historical ones…`);
  const aged = await withScratchDatabase("queue_history", (url) =>
    using(openCountedPostgres(url), async (database) => {
      const fresh = await drainOurs({ database, n: HISTORY_DRAIN, workers: 1, accounts: 1 });
      const [account] = await database.db.query.xAccounts.findMany({ limit: 1 });
      await prefillHistory(database.db, { n: history, accountId: account!.id });
      await database.db.execute("analyze");
      const old = await drainOurs({ database, n: HISTORY_DRAIN, workers: 1, accounts: 1 });
      return { fresh, old };
    }),
  );
  add({ label: "per reply, empty history", unit: "ms", better: "lower", ours: (aged.fresh.seconds * 1000) / HISTORY_DRAIN });
  add({ label: `per reply, after ${history} in history`, unit: "ms", better: "lower", ours: (aged.old.seconds * 1000) / HISTORY_DRAIN });

  console.log(
    `\nour publish queue vs graphile-worker and pg-boss, local PostgreSQL (pick-up: LISTEN/NOTIFY for ours and graphile-worker; ` +
      `pg-boss has none and polls every 0.5 s; pg-boss drains ${PGBOSS_DRAIN_BATCH} jobs per fetch per worker):`,
  );
  printTable(rows);
}
