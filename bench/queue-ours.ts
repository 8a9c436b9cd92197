import { PGlite } from "@electric-sql/pglite";
import { count, ne, sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Database } from "../src/db/database.js";
import { connectNotifications, soloNotifications } from "../src/db/notifications.js";
import { keepWasmOnBaselineCompiler, pgliteHandle, pgliteOptions } from "../src/db/pglite.js";
import { openPostgres } from "../src/db/postgres.js";
import { resultRows } from "../src/db/raw-rows.js";
import * as schema from "../src/db/schema.js";
import { replies } from "../src/db/schema.js";
import { Scheduler } from "../src/lifecycle/scheduler.js";
import { createWakeups, type Wakeups } from "../src/lifecycle/wakeups.js";
import { XAccounts } from "../src/workflow/accounts.js";
import { PauseSwitch } from "../src/workflow/pause.js";
import { approveReply } from "../src/workflow/replies/approve-reply.js";
import { createPublisher, type Publisher } from "../src/workflow/publisher.js";
import { JOBS } from "../src/workflow/services.js";
import { SettingsStore } from "../src/workflow/settings.js";
import { createXAccountClient } from "../src/x/twitter-client.js";
import type { XAccountClient, XPost } from "../src/x/types.js";
import { startFakeX, type FakeX } from "../test/support/fake-x/index.js";
import { silentLogger } from "../test/support/logger.js";
import { aroundPrepared } from "../test/support/around-prepared.js";
import { createPublishFixture } from "../test/support/publish-fixture.js";
import { WORKFLOW_TEST_DEFAULTS } from "../test/support/workflow-fixtures.js";

// Everything that builds and runs OUR publisher for the benches is in this module, so a change of the
// publisher's deps (a `concurrency` option, a new claim path) is adapted here once.

/** A bench's database, counting the SQL statements sent through it. */
export interface CountedDatabase {
  readonly db: Database;
  /** Statements so far: every query drizzle sent, plus BEGIN and COMMIT of each transaction. */
  statements(): number;
  close(): Promise<void>;
}

/** Replaces `target[method]` with a wrapper that calls `onCall` first (a transaction's BEGIN/COMMIT are not logged by drizzle). */
function countCalls(target: object, method: string, onCall: () => void): void {
  const original: unknown = Reflect.get(target, method);
  if (typeof original !== "function") throw new Error(`the driver has no ${method}() to count`);
  Reflect.set(target, method, (...args: unknown[]) => {
    onCall();
    return (original as (...a: unknown[]) => unknown).apply(target, args);
  });
}

/** A counter of statements: drizzle's logger sees each query; each transaction adds BEGIN and COMMIT. */
function statementCounter() {
  let count = 0;
  return {
    logger: { logQuery: () => void count++ },
    transaction: () => void (count += 2),
    statements: () => count,
  };
}

/** Our schema, migrated, in the PostgreSQL database at `url`, through a pool configured as `openPostgres`'s. */
export async function openCountedPostgres(url: string): Promise<CountedDatabase> {
  const migrator = openPostgres(url, silentLogger());
  await migrator.migrate();
  await migrator.close();
  const counter = statementCounter();
  const client = postgres(url, { max: 10, connect_timeout: 10, idle_timeout: 60, fetch_types: false, onnotice: () => undefined });
  countCalls(client, "begin", counter.transaction);
  return {
    db: drizzlePostgres({ client, schema, logger: counter.logger }),
    statements: counter.statements,
    close: () => client.end({ timeout: 5 }),
  };
}

/** Our schema, migrated, in an in-memory PGlite started as the bot starts its own (its options, Liftoff only). */
export async function openCountedPglite(): Promise<CountedDatabase> {
  keepWasmOnBaselineCompiler();
  const client = await PGlite.create(pgliteOptions());
  await pgliteHandle(client).migrate();
  const counter = statementCounter();
  countCalls(client, "transaction", counter.transaction);
  return {
    db: drizzlePglite({ client, schema, logger: counter.logger }),
    statements: counter.statements,
    close: () => client.close(),
  };
}

/** An X that answers every call of the publisher at once (the publisher alone is measured). */
export function instantXClient(userId: string): XAccountClient {
  let posted = 0;
  const unused = () => Promise.reject(new Error("not called by the publisher in this bench"));
  const post = (id: string): XPost => ({
    id,
    text: `Bench post ${id}`,
    authorId: "1",
    authorUsername: "alice",
    createdAt: undefined,
    conversationId: id,
    inReplyToUserId: undefined,
    repliedToPostId: undefined,
    quotedPostId: undefined,
    isRetweet: false,
    mentionedUserIds: [userId],
    mentionedUsernames: [`bench${userId}`],
  });
  return {
    me: () => Promise.resolve({ id: userId, username: `bench${userId}`, name: "Bench" }),
    getPost: (id) => Promise.resolve({ post: post(id), latestVersionId: id }),
    postReply: (text) => Promise.resolve({ id: `${userId}${String(++posted).padStart(9, "0")}`, text }),
    userByUsername: unused,
    mentions: unused,
    userPosts: unused,
    searchRecent: unused,
    lookupPosts: unused,
    uploadMedia: unused,
    rateLimits: () => new Map(),
  };
}

/** Calls `onCall` before each call the client makes (a reply's first X call comes right after its claim commits). */
export function watched(client: XAccountClient, onCall: () => void): XAccountClient {
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

/** Time during which at least one X call was in flight (with one lane: the calls' durations summed), in ms. */
interface XBusy {
  ms: number;
  inFlight: number;
  since: number;
}

/** Counts the time the client's calls (resolved or rejected) keep X busy into `busy` (overlapping calls once). */
function timed(client: XAccountClient, busy: XBusy): XAccountClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (busy.inFlight++ === 0) busy.since = performance.now();
        try {
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
          return result;
        } finally {
          if (--busy.inFlight === 0) busy.ms += performance.now() - busy.since;
        }
      };
    },
  });
}

/** Fresh tweet ids for replies answered by the instant X (ids only have to be unique within the database). */
let instantTweetIds = 1_000_000_000n;

/**
 * `n` drafted posts by `authorId` (tweet ids `firstTweetId`…`firstTweetId + n - 1`) with their replies approved and
 * due, free for any account, in two INSERT … SELECT generate_series statements.
 */
export async function seedBacklog(db: Database, opts: { n: number; accountId: number; authorId: string; firstTweetId: bigint }): Promise<void> {
  const { n, accountId, authorId } = opts;
  // X's ids outgrow a JS number: sent as text, added as bigint.
  const firstTweetId = opts.firstTweetId.toString();
  await db.execute(sql`
    insert into posts (tweet_id, author_id, author_username, text, source, source_detail, account_id, answerable, state)
    select (${firstTweetId}::bigint + i)::text, ${authorId}, 'alice', 'Bench post ' || i, 'mention', ${`mentions:${accountId}`},
      ${accountId}, true, 'drafted'
    from generate_series(0, ${n - 1}::int) i`);
  await db.execute(sql`
    insert into replies (post_tweet_id, priority, status, draft, weighted_length, expires_at, decided_at, scheduled_at)
    select (${firstTweetId}::bigint + i)::text, 0, 'approved', 'Bench reply to ' || (${firstTweetId}::bigint + i), 24,
      now() + interval '1 day', now() - interval '2 minutes' + i * interval '1 microsecond', now() - interval '1 minute'
    from generate_series(0, ${n - 1}::int) i`);
}

/**
 * `n` replies published long ago (one every 90 s back from two days ago, out of every pacing window), each with its
 * post and its posted attempt in `publish_attempts`: the history a long-running bot carries.
 */
export async function prefillHistory(db: Database, opts: { n: number; accountId: number }): Promise<void> {
  const first = instantTweetIds.toString();
  instantTweetIds += BigInt(opts.n);
  await db.execute(sql`
    insert into posts (tweet_id, author_id, author_username, text, source, source_detail, account_id, answerable, state, discovered_at)
    select (${first}::bigint + i)::text, '1', 'alice', 'Old post ' || i, 'mention', ${`mentions:${opts.accountId}`},
      ${opts.accountId}, true, 'drafted', now() - interval '2 days' - i * interval '90 seconds'
    from generate_series(0, ${opts.n - 1}::int) i`);
  await db.execute(sql`
    insert into replies (post_tweet_id, account_id, priority, status, draft, weighted_length, expires_at, decided_at,
      scheduled_at, attempt_count, reply_tweet_id, published_at)
    select (${first}::bigint + i)::text, ${opts.accountId}, 0, 'published', 'Old reply ' || i, 12,
      now() - interval '1 day' - i * interval '90 seconds', now() - interval '2 days' - i * interval '90 seconds',
      now() - interval '2 days' - i * interval '90 seconds', 1, 'old' || i, now() - interval '2 days' - i * interval '90 seconds'
    from generate_series(0, ${opts.n - 1}::int) i`);
  await db.execute(sql`
    insert into publish_attempts (id, reply_id, account_id, started_at, finished_at, outcome, tweet_id)
    select gen_random_uuid(), r.id, r.account_id, r.published_at, r.published_at, 'posted', r.reply_tweet_id
    from replies r where r.status = 'published' and r.reply_tweet_id like 'old%'
      and not exists (select 1 from publish_attempts a where a.reply_id = r.id)`);
}

/** Our publisher on `db` with every account of `clients`, pacing off (no gap, no delay, limits out of reach). */
async function buildPublisher(
  db: Database,
  clients: ReadonlyMap<string, XAccountClient>,
  concurrency = 1,
): Promise<{ publisher: Publisher; accounts: XAccounts }> {
  const accounts = await XAccounts.register(db, clients);
  const publisher = createPublisher({
    db,
    concurrency,
    accounts,
    pause: new PauseSwitch(db),
    settings: new SettingsStore(db, { ...WORKFLOW_TEST_DEFAULTS, maxPostsPerHour: 10_000_000, maxPostsPerDay: 100_000_000 }),
    logger: silentLogger(),
    leaseSeconds: 120,
    replyPolicy: () => "any",
    onChange: () => Promise.resolve(),
  });
  return { publisher, accounts };
}

/** What one drain measured. */
export interface DrainResult {
  /** From the first worker's start to the last one's end. */
  readonly seconds: number;
  /** SQL statements the drain sent (see {@link CountedDatabase.statements}). */
  readonly statements: number;
  /** Time during which some X call was in flight (the fake X only; 0 with the instant X): wall − this is ours. */
  readonly xSeconds: number;
}

/**
 * Seeds `n` approved, due, free replies and publishes them with one publisher of `workers` lanes
 * (PUBLISH_CONCURRENCY) on `database` over `accounts` accounts, calling `runOnce` until a run finds nothing. X is the instant client, or the fake X over loopback HTTP when `x` is given (its rate
 * limits must be out of the way). Throws unless every reply ends published.
 */
export async function drainOurs(opts: { database: CountedDatabase; n: number; workers: number; accounts: number; x?: FakeX }): Promise<DrainResult> {
  const { database, n, x } = opts;
  const { db } = database;
  const busy: XBusy = { ms: 0, inFlight: 0, since: 0 };
  const clients = new Map<string, XAccountClient>();
  for (let i = 0; i < opts.accounts; i++) {
    const userId = String(930_001 + i);
    if (!x) {
      clients.set(`bench${i}`, instantXClient(userId));
      continue;
    }
    const accessToken = `bench-queue-${i}`;
    if (!x.user(userId)) x.addUser({ id: userId, username: `replyguy${i}`, accessToken });
    const raw = createXAccountClient({
      apiRoot: x.baseUrl,
      credentials: { appKey: "app-key", appSecret: "app-secret", accessToken, accessSecret: "access-secret" },
      requestTimeoutMs: 10_000,
    });
    clients.set(`bench${i}`, timed(raw, busy));
  }
  // One publisher with `workers` lanes (PUBLISH_CONCURRENCY), as one replica runs it.
  const { publisher, accounts } = await buildPublisher(db, clients, opts.workers);
  const accountId = accounts.all()[0]!.id;
  let firstTweetId: bigint;
  let authorId = "1";
  if (x) {
    const author = x.user("alice") ?? x.addUser({ username: "alice" });
    authorId = author.id;
    const first = x.addTweet({ authorId, text: "@replyguy0 bench question 0" });
    for (let i = 1; i < n; i++) x.addTweet({ authorId, text: `@replyguy0 bench question ${i}` });
    firstTweetId = BigInt(first.id);
    if (!x.tweet((firstTweetId + BigInt(n - 1)).toString())) throw new Error("the fake X's tweet ids are not consecutive");
  } else {
    firstTweetId = instantTweetIds;
    instantTweetIds += BigInt(n);
  }
  await seedBacklog(db, { n, accountId, authorId, firstTweetId });
  const statementsBefore = database.statements();
  const started = performance.now();
  for (;;) {
    const run = await publisher.runOnce();
    if (run.published + run.failed + run.retrying === 0) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const statements = database.statements() - statementsBefore;
  const [left] = await db.select({ n: count() }).from(replies).where(ne(replies.status, "published"));
  const notPublished = left?.n ?? 0;
  if (notPublished > 0) throw new Error(`${notPublished} replies were not published`);
  return { seconds, statements, xSeconds: busy.ms / 1000 };
}

/** Fake X rate limits out of the way of a drain of many thousand replies. */
export const BENCH_FAKE_X_LIMITS = {
  "POST /2/tweets": { limit: 10_000_000, windowSeconds: 900 },
  "GET /2/tweets/:id": { limit: 10_000_000, windowSeconds: 900 },
  "GET /2/users/me": { limit: 10_000_000, windowSeconds: 900 },
} as const;

/** Whether a claim statement's result holds a reply it took. */
function tookAReply(result: unknown): boolean {
  return resultRows(result).some((row) => row.reply !== null && row.reply !== undefined);
}

/** A cron that never fires within a bench: the publisher runs on wake-ups alone. */
export const NEVER_CRON = "0 0 1 1 *";

/** Samples of one pick-up measurement, in ms from the approval's commit. */
export interface PickupSamples {
  /** To the publishing replica's first X call for the reply (its claim committed just before). */
  readonly claim: number[];
  /** To the answer of the claim that took the reply (committed): the moment the worker holds it. */
  readonly claimed: number[];
  /** To the start of the publishing replica's publish run that claimed it. */
  readonly wake: number[];
}

/**
 * Approve → claim across two replicas on the PostgreSQL database at `url` (migrated here): replica A approves a due
 * reply with the review's approval statement, which wakes the others at its commit (NOTIFY when `notify`), and runs
 * its own (empty) publisher; replica B, with its own pool and wake-up listener, publishes it to the fake X. B also
 * polls on `pollCron`. Each approval comes after a random pause of up to `spreadMs`. With `local`, B approves and
 * runs its own publisher instead (the approving replica's own run), as a single replica does. Measured from the
 * approval statement's answer, as graphile-worker's from `addJob`'s.
 */
export async function pickupOurs(opts: {
  url: string;
  approvals: number;
  notify: boolean;
  pollCron: string;
  timeoutMs: number;
  spreadMs?: number;
  local?: boolean;
}): Promise<PickupSamples> {
  const token = "bench-wake-token";
  const a = openPostgres(opts.url, silentLogger());
  const b = openPostgres(opts.url, silentLogger());
  const x = await startFakeX();
  const stops: (() => Promise<unknown>)[] = [];
  try {
    await a.migrate();
    x.addUser({ id: "920001", username: "replyguy", name: "Reply Guy", accessToken: token });
    const alice = x.addUser({ id: "920002", username: "alice", name: "Alice" });
    const fixture = createPublishFixture({ db: () => a.db, x: () => x, now: () => new Date(), token });
    let calledAt: number | undefined;
    let claimedAt: number | undefined;
    let wokeAt: number | undefined;
    // B's claims are stamped when one answers with a reply taken.
    const claimsOfB = aroundPrepared(b.db, async (run, name) => {
      const result = await run();
      if (name === "claim_replies" && tookAReply(result)) claimedAt ??= performance.now();
      return result;
    });
    const replicaB = await fixture.build({ db: claimsOfB, wrap: (client) => watched(client, () => (calledAt ??= performance.now())) });
    let runsOfB = 0;
    const publishOnB = async () => {
      wokeAt ??= performance.now();
      runsOfB++;
      try {
        await replicaB.publisher.runOnce();
      } finally {
        runsOfB--;
      }
    };
    // Replica A publishes nothing (its cron never fires); B publishes on its wake-ups and its poll.
    const wakes: Wakeups[] = [];
    // With `local`, A takes no part (it does not even listen): B is a single replica, which hears only its own wake-ups.
    for (const [publish, cron, listens] of [[() => Promise.resolve(), NEVER_CRON, !opts.local], [publishOnB, opts.pollCron, true]] as const) {
      const scheduler = new Scheduler(silentLogger());
      scheduler.add(JOBS.publish, cron, publish);
      const wakeups = createWakeups({
        notifications: opts.notify && listens ? connectNotifications(opts.url) : soloNotifications,
        scheduler,
        publishJob: JOBS.publish,
        logger: silentLogger(),
      });
      await wakeups.start({ syncCards: () => Promise.resolve(0), dropSettings: () => undefined, dropOptOuts: () => undefined, reloadAccounts: () => Promise.resolve(), isLeader: () => true });
      await scheduler.start();
      stops.push(() => scheduler.stop(), () => wakeups.stop());
      wakes.push(wakeups);
    }
    const samples: PickupSamples = { claim: [], claimed: [], wake: [] };
    for (let i = 0; i < opts.approvals; i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * (opts.spreadMs ?? 0)));
      calledAt = undefined;
      claimedAt = undefined;
      wokeAt = undefined;
      const { reply } = await fixture.seedReply(replicaB.account.id, alice, { awaiting: true });
      // The approval as the review makes it: one statement that also wakes the other replica at its commit.
      const approver = wakes[opts.local ? 1 : 0]!;
      const decidedAt = new Date();
      const approval = { id: reply.id, version: reply.version, by: 1, decidedAt, scheduledAt: new Date(decidedAt.getTime() - 1_000) };
      if (!(await approveReply(opts.local ? b.db : a.db, approval, approver.publishSignal()))) throw new Error("the approval did not apply");
      const approvedAt = performance.now();
      // A's run is empty; B's, with `local`, resolves once it published the reply.
      const woken = approver.publishHere();
      const deadline = approvedAt + opts.timeoutMs;
      while (calledAt === undefined && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 0.2));
      if (calledAt === undefined) throw new Error(`replica B did not pick the reply up within ${opts.timeoutMs} ms`);
      await woken;
      samples.claim.push(calledAt - approvedAt);
      if (claimedAt !== undefined) samples.claimed.push(claimedAt - approvedAt);
      // The run that claimed started at or after the approval (an earlier one is left by the 20 ms pause below).
      if (wokeAt !== undefined && wokeAt >= approvedAt) samples.wake.push(wokeAt - approvedAt);
      // Let B's run finish (post, mark published) before the next approval: a later X call of this run must not
      // be taken for the next reply's.
      await new Promise((resolve) => setTimeout(resolve, 20));
      while (runsOfB > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return samples;
  } finally {
    for (const stop of stops.splice(0)) await stop();
    await x.close();
    await a.close();
    await b.close();
  }
}
