/**
 * The workflow as `createWorkflow` wires it, without the bot: only the leader draws cards (a stand-by announces its
 * change instead), settings and opt-out changes are announced, an approval wakes the publisher (or only this
 * replica's, when its statement wakes the others), the publisher skips an account whose X breaker rests, discovery
 * learns the account's @username for the cards, maintenance expires drafts nobody decided on, and boot recovery
 * releases every claim on PGlite (one process) but only expired ones on PostgreSQL. Each change that matters to a
 * card (a publish, a dead letter handed back, /pause, an opt-out, an account going down) redraws it; the config's
 * seconds reach the monitor and the publisher as milliseconds; REPLY_POLICY reaches discovery and the publisher.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Drafter } from "../../src/ai/types.js";
import { loadConfig } from "../../src/config.js";
import type { WakeSignal } from "../../src/db/notifications.js";
import { deadLetters, replies, xAccounts } from "../../src/db/schema.js";
import { countOf } from "../../src/workflow/bulk/tally.js";
import type { BatchView } from "../../src/workflow/bulk/progress.js";
import type { CardSink, CardView } from "../../src/workflow/card-sync.js";
import { createWorkflow, type Workflow } from "../../src/workflow/services.js";
import { MINIMAL_ENV } from "../support/config-env.js";
import { fakeXClient, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import { failingBuilder } from "../support/failing-builder.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { createPublishFixture } from "../support/publish-fixture.js";

const TOKEN = "wiring-token";
const SECOND_TOKEN = "wiring-token-2";
const ADA = 1001;
/** How long a redraw in the background may take on a loaded machine. */
const BACKGROUND = { timeout: 10_000, interval: 20 };

/** Writes "Sure: <post text>" for every post. */
const echoDrafter: Drafter = {
  draft: (post) => {
    const text = `Sure: ${post.text}`.slice(0, 200);
    return Promise.resolve({ text, weightedLength: text.length, tooLong: false, model: "echo", shortenAttempts: 0 });
  },
  gate: () => Promise.resolve({ score: 1, reason: "always", model: "echo" }),
};

describe.each(databaseTargets())("the workflow's wiring on $name", (target) => {
  const own = useOwnDatabaseAndFakeX(() => target.create());
  const db = own.db;
  let alice: FakeXUser;
  const fixture = createPublishFixture({ db, x: own.x, now: () => new Date(), token: TOKEN });

  beforeEach(() => {
    own.x().addUser({ id: "930001", username: "replyguy", name: "Reply Guy", accessToken: TOKEN });
    alice = own.x().addUser({ id: "930002", username: "alice", name: "Alice" });
  });

  /** Every card the sink was given, sent or updated. */
  function recordingSink() {
    const shown: CardView[] = [];
    let nextId = 500;
    const sink: CardSink = {
      send: (view) => {
        shown.push(view);
        return Promise.resolve(nextId++);
      },
      update: (_messageId, view) => {
        shown.push(view);
        return Promise.resolve();
      },
    };
    return { sink, shown };
  }

  async function workflow(overrides: Partial<Parameters<typeof createWorkflow>[0]> = {}, env: Record<string, string> = {}) {
    const announced: string[] = [];
    const woken: string[] = [];
    const cards = recordingSink();
    const built = await createWorkflow({
      config: loadConfig({
        ...MINIMAL_ENV,
        QUIET_HOURS: "",
        SCHEDULE_MIN_DELAY_MINUTES: "0",
        SCHEDULE_MAX_DELAY_MINUTES: "0",
        SCHEDULE_JITTER_SECONDS: "0",
        ...env,
      }),
      database: own.database().handle,
      logger: silentLogger(),
      xClients: new Map([["main", fakeXClient(own.x(), TOKEN)]]),
      drafter: echoDrafter,
      cardSink: cards.sink,
      publishNow: () => Promise.resolve(void woken.push("publishNow")),
      onDeadLetterExhausted: () => undefined,
      isXAvailable: () => true,
      announce: (change) => announced.push(change),
      ...overrides,
    });
    const [account] = await db().select().from(xAccounts).where(eq(xAccounts.label, "main"));
    return { workflow: built, announced, woken, shown: cards.shown, accountId: account!.id };
  }

  /** The monitor looks at the account as a failed one X still refuses, then it is active again: its next look is due at once. */
  async function failedThenActive(built: Workflow, accountId: number): Promise<void> {
    own.x().setUserAccess("replyguy", "revoked");
    await built.accounts.setStatus(accountId, "failed", "refused");
    expect(await built.monitor.runOnce()).toMatchObject({ recovered: [] });
    own.x().setUserAccess("replyguy", "ok");
    await built.accounts.setStatus(accountId, "active");
  }

  it("only the leader draws cards; a stand-by announces the change for it", async () => {
    const standBy = await workflow({ isLeader: () => false });
    await fixture.seedReply(standBy.accountId, alice, { awaiting: true });
    expect(await standBy.workflow.cards.sync()).toBe(0);
    expect(standBy.shown).toEqual([]);
    expect(standBy.announced).toEqual(["cards"]);

    const leader = await workflow({ isLeader: () => true });
    expect(await leader.workflow.cards.sync()).toBe(1);
    expect(leader.shown).toHaveLength(1);
    expect(leader.announced).toEqual([]);

    const alone = await workflow({ isLeader: undefined });
    await fixture.seedReply(alone.accountId, alice, { awaiting: true });
    expect(await alone.workflow.cards.sync()).toBe(1);
  });

  it("announces a settings change and an opt-out, and this replica's opt-out cache reads the new one at once", async () => {
    const { workflow: built, announced } = await workflow();
    expect(await built.settings.set("max_delay", "5", ADA)).toMatchObject({ ok: true });
    expect(announced).toEqual(["settings"]);

    expect(await built.optOuts.anyOptedOut(["alice"])).toBe(false);
    await built.watchlist.optOut("alice", ADA);
    expect(announced).toEqual(["settings", "optouts"]);
    expect(await built.optOuts.anyOptedOut(["alice"])).toBe(true);
  });

  it("an approval wakes the publisher, or only this replica's when its statement wakes the others", async () => {
    const plain = await workflow();
    const first = await fixture.seedReply(plain.accountId, alice, { awaiting: true });
    expect(await plain.workflow.review.approve(first.reply.id, first.reply.version, ADA)).toMatchObject({ ok: true });
    expect(plain.woken).toEqual(["publishNow"]);

    const here: string[] = [];
    const signal: WakeSignal = { channel: "reply_guy_wake", payload: "publish" };
    const replicated = await workflow({ approvalWake: { signal, publishHere: () => Promise.resolve(void here.push("publishHere")) } });
    const second = await fixture.seedReply(replicated.accountId, alice, { awaiting: true });
    expect(await replicated.workflow.review.approve(second.reply.id, second.reply.version, ADA)).toMatchObject({ ok: true });
    expect(here).toEqual(["publishHere"]);
    expect(replicated.woken).toEqual([]);
  });

  it("the publisher skips the account whose X breaker rests, asked by its label", async () => {
    const asked: string[] = [];
    const resting = await workflow({ isXAvailable: (label) => (asked.push(label), false) });
    const due = await fixture.seedReply(resting.accountId, alice);
    await resting.workflow.publisher.runOnce();
    expect(asked).toContain("main");
    expect(own.x().requests({ method: "POST", path: "/2/tweets" })).toHaveLength(0);

    const working = await workflow();
    await working.workflow.publisher.runOnce();
    expect(own.x().requests({ method: "POST", path: "/2/tweets" })).toHaveLength(1);
    expect(await fixture.reply(due.reply.id)).toMatchObject({ status: "published" });
  });

  it("discovery drafts what it found and draws its card with the account's @username it learned", async () => {
    const { workflow: built, shown } = await workflow();
    own.x().addTweet({ authorId: alice.id, text: "@replyguy what about the weather?" });
    await built.discoverAndDraft();
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ accountUsername: "replyguy", reply: { draft: "Sure: @replyguy what about the weather?" } });
  });

  it("maintenance expires a draft nobody decided on in time", async () => {
    const { workflow: built, accountId } = await workflow();
    const stale = await fixture.seedReply(accountId, alice, { awaiting: true });
    await db().update(replies).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(replies.id, stale.reply.id));
    await built.maintain();
    expect(await fixture.reply(stale.reply.id)).toMatchObject({ status: "expired" });
  });

  it("boot recovery on PGlite releases every claim (no other process can hold one); on PostgreSQL only those whose lease ran out", async () => {
    const { workflow: built, accountId } = await workflow();
    const held = await fixture.seedReply(accountId, alice);
    await db()
      .update(replies)
      .set({ status: "publishing", leaseUntil: new Date(Date.now() + 60_000) })
      .where(eq(replies.id, held.reply.id));
    const recovered = await built.recover();
    const alone = target.name === "pglite";
    expect(recovered.releasedClaims).toBe(alone ? 1 : 0);
    expect(await fixture.reply(held.reply.id)).toMatchObject(alone ? { status: "approved", needsReconcile: true } : { status: "publishing" });
  });

  it("a publish redraws the reply's card before its run ends", async () => {
    const { workflow: built, shown, accountId } = await workflow();
    await fixture.seedReply(accountId, alice);
    expect(await built.cards.sync()).toBe(1);
    await built.publisher.runOnce();
    expect(shown.map((view) => view.reply.status)).toEqual(["approved", "published"]);
  });

  it("a bulk batch's message shows a publish as it lands, while the run goes on", { timeout: 60_000 }, async () => {
    own.x().addUser({ id: "930003", username: "replygal", name: "Reply Gal", accessToken: SECOND_TOKEN });
    const views: BatchView[] = [];
    const { workflow: built, accountId } = await workflow({
      xClients: new Map([
        // No request timeout within the test: only the release ends the hanging POST.
        ["main", fakeXClient(own.x(), TOKEN, 60_000)],
        ["second", fakeXClient(own.x(), SECOND_TOKEN, 60_000)],
      ]),
      batchSink: { show: (_chatId, _messageId, view) => Promise.resolve(void views.push(view)) },
    });
    await fixture.seedReply(accountId, alice, { awaiting: true });
    await fixture.seedReply(accountId, alice, { awaiting: true });
    const plan = await built.bulk.prepareAll("approve", ADA);
    expect(await built.bulk.confirm(plan.batchId, ADA, { chatId: 4242, messageId: 77 })).toMatchObject({ ok: true, decided: 2 });
    // The first POST is answered, the second never is until released: the run is still on.
    own.x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "delay", ms: 0 });
    own.x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "hang" });
    let ended = false;
    const run = built.publisher.runOnce().finally(() => (ended = true));
    await vi.waitFor(() => expect(views.at(-1) && countOf(views.at(-1)!.tally, "published")).toBe(1), { timeout: 30_000, interval: 100 });
    expect(ended).toBe(false);
    own.x().releaseHangs();
    expect(await run).toMatchObject({ published: 1 });
  });

  it("a dead letter handed back wakes the publisher and redraws its reply's card", async () => {
    const { workflow: built, woken, shown, accountId } = await workflow();
    const failed = await fixture.seedReply(accountId, alice);
    await db().update(replies).set({ status: "failed", failureReason: "X refused it" }).where(eq(replies.id, failed.reply.id));
    expect(await built.cards.sync()).toBe(1);
    await db()
      .insert(deadLetters)
      .values({ replyId: failed.reply.id, accountId, error: "X refused it", errorType: "server_error", retryable: true, status: "pending", nextRetryAt: new Date(Date.now() - 1_000) });
    expect(await built.deadLetters.runDue()).toMatchObject({ retried: 1 });
    expect(woken).toEqual(["publishNow"]);
    expect(shown.map((view) => view.reply.status)).toEqual(["failed", "approved"]);
  });

  it("/pause and /resume redraw the open cards, and only a resume wakes the publisher", async () => {
    const { workflow: built, woken, shown, accountId } = await workflow();
    await fixture.seedReply(accountId, alice, { awaiting: true });
    expect(await built.cards.sync()).toBe(1);
    await built.pause.pause(ADA);
    await vi.waitFor(() => expect(shown.map((view) => view.paused)).toEqual([false, true]), BACKGROUND);
    expect(woken).toEqual([]);
    await built.pause.resume(ADA);
    await vi.waitFor(() => expect(shown.map((view) => view.paused)).toEqual([false, true, false]), BACKGROUND);
    expect(woken).toEqual(["publishNow"]);
  });

  it("an opt-out redraws the card of the reply it cancelled", async () => {
    const { workflow: built, shown, accountId } = await workflow();
    await fixture.seedReply(accountId, alice, { awaiting: true });
    expect(await built.cards.sync()).toBe(1);
    await built.watchlist.optOut("alice", ADA);
    await vi.waitFor(() => expect(shown.map((view) => view.reply.status)).toEqual(["awaiting_approval", "cancelled"]), BACKGROUND);
  });

  it("the account monitor looks once per ACCOUNT_HEALTH_INTERVAL_SECONDS and fails an account after ACCOUNT_FAIL_AFTER_SECONDS of resting breaker", async () => {
    let downSince: Date | undefined;
    const asked: string[] = [];
    const { workflow: built, accountId } = await workflow({ xBreakerDownSince: (label) => (asked.push(label), downSince) });
    const { monitor } = built;
    await failedThenActive(built, accountId);
    downSince = new Date(Date.now() - 60_000);
    expect(await monitor.runOnce()).toMatchObject({ checked: ["main"], failed: [] });
    expect(asked).toEqual(["main"]);
    // Looked at a moment ago: not due again for a minute.
    expect(await monitor.runOnce()).toEqual({ checked: [], failed: [], recovered: [] });

    await failedThenActive(built, accountId);
    downSince = new Date(Date.now() - 11 * 60_000);
    expect(await monitor.runOnce()).toMatchObject({ failed: ["main"] });
  });

  it("a failed POST is tried again PUBLISH_RETRY_BASE_SECONDS later", async () => {
    const { workflow: built, accountId } = await workflow({}, { PUBLISH_RETRY_BASE_SECONDS: "40" });
    const due = await fixture.seedReply(accountId, alice);
    own.x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "status", status: 503 });
    const before = Date.now();
    await built.publisher.runOnce();
    const after = await fixture.reply(due.reply.id);
    expect(after.status).toBe("approved");
    expect(after.scheduledAt!.getTime() - before).toBeGreaterThanOrEqual(20_000);
    expect(after.scheduledAt!.getTime() - before).toBeLessThanOrEqual(80_000);
  });

  it("under the default REPLY_POLICY=summoned, discovery skips a post that does not summon us and the publisher refuses an unanswerable reply", async () => {
    const { workflow: built, shown, accountId } = await workflow();
    expect(await built.watchlist.add("search", "weather", ADA)).toMatchObject({ ok: true });
    own.x().addTweet({ authorId: alice.id, text: "the weather is lovely today" });
    await built.discoverAndDraft();
    expect(shown).toEqual([]);

    const unanswerable = await fixture.seedReply(accountId, alice, { answerable: false });
    await built.publisher.runOnce();
    expect(own.x().requests({ method: "POST", path: "/2/tweets" })).toHaveLength(0);
    expect(await fixture.reply(unanswerable.reply.id)).toMatchObject({ status: "failed" });
  });

  it("while an account's breaker rests, the card of a reply only it may post says so, and an unconfirmed one may go to another account", async () => {
    let available = true;
    const { workflow: built, shown, accountId } = await workflow({ isXAvailable: () => available });
    const bound = await fixture.seedReply(accountId, alice, { awaiting: true, bound: true });
    const unconfirmed = await fixture.seedReply(accountId, alice, { awaiting: true });
    await db().update(replies).set({ status: "approved", scheduledAt: new Date(Date.now() + 3_600_000) }).where(eq(replies.id, bound.reply.id));
    await db()
      .update(replies)
      .set({ status: "approved", needsReconcile: true, scheduledAt: new Date(Date.now() + 3_600_000) })
      .where(eq(replies.id, unconfirmed.reply.id));
    expect(await built.cards.sync()).toBe(2);
    expect(await built.review.postFromAnotherAccount(unconfirmed.reply.id, (await fixture.reply(unconfirmed.reply.id)).version, ADA)).toMatchObject({
      ok: false,
      message: "Its account is back: it checks X before posting.",
    });

    available = false;
    await built.publisher.runOnce();
    const lastOf = (id: number) => shown.filter((view) => view.reply.id === id).at(-1);
    expect(lastOf(bound.reply.id)?.waitingFor).toEqual({ account: `account #${accountId}`, why: "bound" });
    expect(lastOf(unconfirmed.reply.id)?.waitingFor).toEqual({ account: `account #${accountId}`, why: "unconfirmed" });
    const current = await fixture.reply(unconfirmed.reply.id);
    expect(await built.review.postFromAnotherAccount(current.id, current.version, ADA)).toMatchObject({ ok: true });
  });

  it("a card drawn right after boot names its account by the @username an earlier run stored", async () => {
    const earlier = await workflow();
    await db().update(xAccounts).set({ username: "stored_name" }).where(eq(xAccounts.id, earlier.accountId));
    const { workflow: built, shown, accountId } = await workflow();
    await fixture.seedReply(accountId, alice, { awaiting: true });
    expect(await built.cards.sync()).toBe(1);
    expect(shown[0]).toMatchObject({ accountUsername: "stored_name" });
  });

  it("runs without the replica hooks and without a batch message sink", async () => {
    const { logger, lines } = capturingLogger();
    const { workflow: built, accountId } = await workflow({ announce: undefined, batchSink: undefined, isLeader: () => false, logger });
    await fixture.seedReply(accountId, alice, { awaiting: true });
    expect(await built.cards.sync()).toBe(0);
    expect(await built.settings.set("max_delay", "5", ADA)).toMatchObject({ ok: true });
    expect(await built.watchlist.optOut("bob", ADA)).toMatchObject({ ok: true, added: true });

    await fixture.seedReply(accountId, alice, { awaiting: true });
    const plan = await built.bulk.prepareAll("approve", ADA);
    expect(await built.bulk.confirm(plan.batchId, ADA, { chatId: 4242, messageId: 78 })).toMatchObject({ ok: true });
    expect(await built.bulk.view(plan.batchId)).toMatchObject({ status: "running" });

    // The monitor looks at an active account with no breaker to ask.
    await failedThenActive(built, accountId);
    expect(await built.monitor.runOnce()).toMatchObject({ checked: ["main"], failed: [] });
    expect(lines.filter((line) => line.includes('"level":40'))).toEqual([]);
  });

  it("drafts within the caps of the environment", async () => {
    const { workflow: built, shown } = await workflow({}, { MAX_DRAFTS_PER_AUTHOR_PER_DAY: "1" });
    own.x().addTweet({ authorId: alice.id, text: "@replyguy first question" });
    own.x().addTweet({ authorId: alice.id, text: "@replyguy second question" });
    await built.discoverAndDraft();
    expect(shown).toHaveLength(1);
  });

  it("gives /stats and /trace their views of this database", async () => {
    const { workflow: built, accountId } = await workflow();
    const seeded = await fixture.seedReply(accountId, alice);
    await built.publisher.runOnce();
    expect((await built.views.stats.read(new Date(), "UTC")).today).toMatchObject({ published: 1 });
    expect(await built.views.trace.timeline(seeded.post.id)).toMatchObject({ reply: { status: "published" } });
  });

  it("a redraw that fails is logged with its error, and the next one draws the card", async () => {
    const { logger, lines } = capturingLogger();
    const flaky = failingBuilder(own.database().handle.db, "select", () => new Error("connection lost"));
    const { workflow: built, shown, accountId } = await workflow({ database: { ...own.database().handle, db: flaky.db }, logger });
    await fixture.seedReply(accountId, alice, { awaiting: true });
    flaky.fail();
    await built.pause.pause(ADA);
    await vi.waitFor(() => expect(lines.some((line) => line.includes("card sync failed; the next one retries"))).toBe(true), BACKGROUND);
    const logged = JSON.parse(lines.find((line) => line.includes("card sync failed"))!) as { level: number; err?: { message: string } };
    expect(logged).toMatchObject({ level: 40, err: { message: "connection lost" } });
    expect(shown).toEqual([]);
    expect(await built.cards.sync()).toBe(1);
  });
});
