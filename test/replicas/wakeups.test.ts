/**
 * Wake-ups between replicas over LISTEN/NOTIFY on one PostgreSQL database (a fresh one per test on
 * TEST_DATABASE_URL; skipped under plain `npm test`, whose PGlite has nobody else to wake — see
 * test/lifecycle/wakeups.test.ts). Two replicas in one process: each its own pool, scheduler and listener.
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { connectNotifications, type Notifications, type WakeTopic } from "../../src/db/notifications.js";
import { openPostgres } from "../../src/db/postgres.js";
import { workflowEvents, xAccounts } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import { Scheduler } from "../../src/lifecycle/scheduler.js";
import { approvalWakeOf, createWakeups, type WakeTargets, type Wakeups } from "../../src/lifecycle/wakeups.js";
import { clientCredentialsOf, createAccountStore, type XClientFactory } from "../../src/workflow/account-store.js";
import { createAccountSync } from "../../src/workflow/account-sync.js";
import type { CardView } from "../../src/workflow/card-sync.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { createWorkflow, JOBS, type Workflow } from "../../src/workflow/services.js";
import { MINIMAL_ENV } from "../support/config-env.js";
import { createPostgresTestDatabase, type TestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import { createPublishFixture } from "../support/publish-fixture.js";

const serverUrl = process.env.TEST_DATABASE_URL;
const TOKEN = "wake-token-1";
/** The cron poll is far away: only a wake-up can make a run happen within the test. */
const NEVER = "0 0 1 1 *";
const FAST = { timeout: 1_000, interval: 5 };

describe.runIf(serverUrl)("wake-ups across replicas (LISTEN/NOTIFY)", () => {
  let x: FakeX;
  let alice: FakeXUser;
  let database: TestDatabase;
  let second: DatabaseHandle;
  const closers: (() => Promise<unknown>)[] = [];
  const fixture = createPublishFixture({ db: () => database.handle.db, x: () => x, now: () => new Date(), token: TOKEN });

  /** One replica's wake-ups: a scheduler whose publish job is `publish`, listening with `targets`. */
  async function replica(publish: () => Promise<unknown>, targets: Partial<WakeTargets> = {}): Promise<{ wakeups: Wakeups; scheduler: Scheduler; notifications: Notifications }> {
    const scheduler = new Scheduler(silentLogger());
    scheduler.add(JOBS.publish, NEVER, async () => {
      await publish();
    });
    const notifications = connectNotifications(database.url!);
    const wakeups = createWakeups({ notifications, scheduler, publishJob: JOBS.publish, logger: silentLogger() });
    await wakeups.start({ syncCards: () => Promise.resolve(0), dropSettings: () => undefined, dropOptOuts: () => undefined, reloadAccounts: () => Promise.resolve(), isLeader: () => true, ...targets });
    closers.push(() => scheduler.stop(), () => wakeups.stop());
    return { wakeups, scheduler, notifications };
  }

  /** The database's wake-up listening sessions. */
  const listeners = async () => {
    const admin = postgres(database.url!, { max: 1, onnotice: () => undefined });
    try {
      return (await admin<{ pid: number }[]>`
        select pid from pg_stat_activity
        where datname = current_database() and application_name = 'reply-guy-bot wake-ups' and query ilike 'listen%'`).map((row) => row.pid);
    } finally {
      await admin.end({ timeout: 1 });
    }
  };

  beforeAll(async () => {
    x = await startFakeX();
  });
  afterAll(async () => {
    await x.close();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await second.close();
    await database.dispose();
    x.reset();
  });
  const setUp = async () => {
    database = await createPostgresTestDatabase(serverUrl!);
    second = openPostgres(database.url!, silentLogger());
    x.addUser({ id: "910001", username: "replyguy", name: "Reply Guy", accessToken: TOKEN });
    alice = x.addUser({ id: "910002", username: "alice", name: "Alice" });
  };
  const postsToX = () => x.requests({ method: "POST", path: "/2/tweets" }).length;

  it("a replica never hears itself; the other hears every topic it sends", { timeout: 20_000 }, async () => {
    await setUp();
    const heard: { a: WakeTopic[]; b: WakeTopic[] } = { a: [], b: [] };
    const a = connectNotifications(database.url!);
    const b = connectNotifications(database.url!);
    closers.push(() => a.close(), () => b.close());
    await a.listen({ onWake: (topic) => heard.a.push(topic), onResubscribed: () => undefined });
    await b.listen({ onWake: (topic) => heard.b.push(topic), onResubscribed: () => undefined });
    for (const topic of ["publish", "cards", "settings", "accounts"] as const) await a.send(topic);
    await vi.waitFor(() => expect(heard.b).toEqual(["publish", "cards", "settings", "accounts"]), FAST);
    expect(heard.a).toEqual([]);
  });

  it("an approval on replica A wakes replica B's publisher, also after B's listening session was killed", { timeout: 30_000 }, async () => {
    await setUp();
    // B publishes through its own pool; A's publisher stands for one busy elsewhere (it publishes nothing).
    const b = await fixture.build({ db: second.db });
    let runsOfB = 0;
    const replicaA = await replica(() => Promise.resolve());
    await replica(() => {
      runsOfB++;
      return b.publisher.runOnce();
    });

    await fixture.seedReply(b.account.id, alice);
    await replicaA.wakeups.publishNow();
    await vi.waitFor(() => expect(postsToX()).toBe(1), FAST);

    // Kill every listening session: postgres.js LISTENs again on a new one, and B catches up at once.
    const killed = await listeners();
    expect(killed).toHaveLength(2);
    const admin = postgres(database.url!, { max: 1, onnotice: () => undefined });
    await admin`select pg_terminate_backend(pid) from unnest(${killed}::int[]) as pid`;
    await admin.end({ timeout: 1 });
    const runsBefore = runsOfB;
    await vi.waitFor(async () => {
      const now = await listeners();
      expect(now).toHaveLength(2);
      expect(now.some((pid) => killed.includes(pid))).toBe(false);
    }, { timeout: 5_000, interval: 20 });
    await vi.waitFor(() => expect(runsOfB).toBeGreaterThan(runsBefore), FAST);

    await fixture.seedReply(b.account.id, alice);
    await replicaA.wakeups.publishNow();
    await vi.waitFor(() => expect(postsToX()).toBe(2), FAST);
  });

  it("an approval's own statement wakes replica B at its commit: the approving replica sends nothing after it and runs only its own publisher", { timeout: 30_000 }, async () => {
    await setUp();
    const b = await fixture.build({ db: second.db });
    let runsOfA = 0;
    const replicaA = await replica(() => Promise.resolve(void runsOfA++));
    await replica(() => b.publisher.runOnce());
    const sent = vi.spyOn(replicaA.notifications, "send");
    const workflowA = await createWorkflow({
      config: loadConfig({ ...MINIMAL_ENV, QUIET_HOURS: "", SCHEDULE_MIN_DELAY_MINUTES: "0", SCHEDULE_MAX_DELAY_MINUTES: "0", SCHEDULE_JITTER_SECONDS: "0" }),
      database: database.handle,
      logger: silentLogger(),
      xClients: new Map(),
      drafter: undefined,
      cardSink: { send: () => Promise.resolve(1), update: () => Promise.resolve() },
      publishNow: () => Promise.reject(new Error("an approval wakes through its own statement, not publishNow")),
      approvalWake: approvalWakeOf(replicaA.wakeups),
      onDeadLetterExhausted: () => undefined,
      isXAvailable: () => true,
    });
    const { reply } = await fixture.seedReply(b.account.id, alice, { awaiting: true });

    expect(await workflowA.review.approve(reply.id, reply.version, 7)).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(postsToX()).toBe(1), FAST);
    expect(sent).not.toHaveBeenCalled();
    expect(runsOfA).toBe(1);
    // The statement recorded its event too (the publish records its own beside it).
    const events = await database.handle.db.select().from(workflowEvents).where(eq(workflowEvents.replyId, reply.id));
    expect(events.filter((event) => event.kind === "approved").map((event) => event.actor)).toEqual([7]);
  });

  it("a stand-by's change to replies makes the leader redraw at once; settings, opt-outs and pause reach the other replica at once", { timeout: 30_000 }, async () => {
    await setUp();
    const rig = await fixture.build();
    const config = loadConfig({ ...MINIMAL_ENV });
    const drawn: { leader: CardView[]; standby: CardView[] } = { leader: [], standby: [] };
    let messageId = 0;
    // Each workflow announces through its replica's wake-ups, which are built once the workflows exist.
    const wake: Partial<Record<"leader" | "standby", Wakeups>> = {};
    const workflowOn = async (handle: DatabaseHandle, role: "leader" | "standby"): Promise<Workflow> =>
      createWorkflow({
        config,
        database: handle,
        logger: silentLogger(),
        xClients: new Map(),
        drafter: undefined,
        cardSink: {
          send: (view) => Promise.resolve(drawn[role].push(view) && ++messageId),
          update: (_id, view) => Promise.resolve(void drawn[role].push(view)),
        },
        publishNow: () => Promise.resolve(),
        onDeadLetterExhausted: () => undefined,
        isXAvailable: () => true,
        isLeader: () => role === "leader",
        announce: (change) => wake[role]?.announce(change),
      });
    const leader = await workflowOn(database.handle, "leader");
    const standby = await workflowOn(second, "standby");
    wake.leader = (await replica(() => Promise.resolve(), {
      syncCards: () => leader.cards.sync(),
      dropSettings: () => leader.settings.invalidate(),
      dropOptOuts: () => leader.optOuts.invalidate(),
    })).wakeups;
    wake.standby = (await replica(() => Promise.resolve(), {
      dropSettings: () => standby.settings.invalidate(),
      dropOptOuts: () => standby.optOuts.invalidate(),
      isLeader: () => false,
    })).wakeups;

    // What the stand-by's publisher does after it changed replies (its onChange): the leader draws the card.
    await fixture.seedReply(rig.account.id, alice, { awaiting: true });
    expect(await standby.cards.sync()).toBe(0);
    await vi.waitFor(() => expect(drawn.leader).toHaveLength(1), FAST);
    expect(drawn.standby).toEqual([]);

    // Settings are cached per replica: a change on the stand-by drops the leader's cache.
    expect((await leader.settings.current()).minDelayMinutes).not.toBe(7);
    expect(await standby.settings.set("min_delay", "7", 1)).toMatchObject({ ok: true });
    await vi.waitFor(async () => expect((await leader.settings.current()).minDelayMinutes).toBe(7), FAST);

    // So are the opt-outs the publisher checks before a POST: an /optout on the stand-by drops the leader's.
    expect(await leader.optOuts.anyOptedOut(["carol"])).toBe(false);
    expect(await standby.optOuts.anyOptedOut(["carol"])).toBe(false);
    expect(await standby.watchlist.optOut("carol", 1)).toMatchObject({ ok: true, added: true });
    expect(await standby.optOuts.anyOptedOut(["carol"])).toBe(true);
    await vi.waitFor(async () => expect(await leader.optOuts.anyOptedOut(["carol"])).toBe(true), FAST);

    // The pause is read from the database every time: no cache to drop, seen at once.
    expect(await leader.pause.isPaused()).toBe(false);
    await standby.pause.pause(1);
    expect(await leader.pause.isPaused()).toBe(true);
  });

  it("an account stored on replica A publishes from replica B without a restart; disabled or removed on A, B stops using it", { timeout: 30_000 }, async () => {
    await setUp();
    const added = x.addUser({ id: "910003", username: "second_acct", name: "Second", accessToken: "second-token" });
    const box = new SecretBox(randomBytes(32));
    const makeClient: XClientFactory = (_label, secrets) =>
      createXAccountClient({ apiRoot: x.baseUrl, credentials: clientCredentialsOf(secrets), requestTimeoutMs: 5_000 });
    // Both replicas start with the env account "main"; it is disabled, so only an account added later can publish.
    const a = await fixture.build();
    const b = await fixture.build({ db: second.db });
    await database.handle.db.update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.label, "main"));
    let runsOfB = 0;
    const replicaA = await replica(() => Promise.resolve());
    const syncB = createAccountSync({ db: second.db, accounts: b.accounts, box, makeClient, logger: silentLogger() });
    await replica(
      () => {
        runsOfB++;
        return b.publisher.runOnce();
      },
      { reloadAccounts: () => syncB.reload() },
    );
    const store = createAccountStore({
      db: database.handle.db,
      accounts: a.accounts,
      box,
      makeClient,
      resetBreaker: () => undefined,
      onChange: () => replicaA.wakeups.announce("accounts"),
    });
    const postsBy = (user: FakeXUser) => x.requests({ method: "POST", path: "/2/tweets", callerUserId: user.id }).length;

    // Added on A: B opens it, and the publish run after its reload posts the waiting reply with it.
    await fixture.seedReply(a.account.id, alice);
    await store.store("second", { authKind: "oauth1", credentials: { appKey: "k", appSecret: "s", accessToken: "second-token", accessSecret: "t" } });
    await vi.waitFor(() => expect(postsBy(added)).toBe(1), FAST);
    expect(b.accounts.all().map((account) => account.label)).toEqual(["main", "second"]);

    // Disabled on A: B's publisher, woken, leaves the reply waiting.
    await store.disable("second");
    await fixture.seedReply(a.account.id, alice);
    const runsBefore = runsOfB;
    await replicaA.wakeups.publishNow();
    await vi.waitFor(() => expect(runsOfB).toBeGreaterThan(runsBefore), FAST);
    await b.publisher.runOnce();
    expect(postsBy(added)).toBe(1);

    // Removed on A: gone from B's pool (its list, its health), not only from its claims.
    await store.remove("second");
    await vi.waitFor(() => expect(b.accounts.all().map((account) => account.label)).toEqual(["main"]), FAST);
    expect(postsToX()).toBe(1);
  });
});
