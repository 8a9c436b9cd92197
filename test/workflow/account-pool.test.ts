/**
 * The X accounts as a pool: a reply bound to the account its post summoned goes out only from it;
 * any other reply is assigned at claim time to the account the strategy picks, in priority-then-
 * approval order; an account that dies hands its replies to the others; with every account down
 * everything waits, and drains in order when one returns. Three accounts on the fake X, whose
 * `setUserAccess` makes a token answer 401.
 */
import { asc, eq, inArray, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { renderCard } from "../../src/bot/cards/render-card.js";
import { openPostgres } from "../../src/db/postgres.js";
import { deadLetters, publishAttempts, replies, xAccounts } from "../../src/db/schema.js";
import type { XAccounts } from "../../src/workflow/accounts.js";
import { createCardSync, type CardView } from "../../src/workflow/card-sync.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { createReview } from "../../src/workflow/review.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { claimStatement } from "../../src/workflow/replies/claim-replies.js";
import type { XAccountClient } from "../../src/x/types.js";
import { addPoolUsers, createPoolFixture, createTestMonitor, useOwnDatabaseAndFakeX, type PoolUsers } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import { planRolledBack } from "../support/query-plan.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import type { SeedOptions, SeededReply } from "../support/publish-fixture.js";
import { claimOne } from "../support/publish-fixture.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** One pass of a fresh health monitor: the failed accounts are asked users/me and those X answers rejoin the pool. */
const recheck = (accounts: XAccounts) => createTestMonitor(accounts).runOnce();

/** A seeded reply with the order facts it was seeded with. */
interface Planned {
  readonly s: SeededReply;
  readonly priority: number;
  readonly approvedMinutesAgo: number;
}

/** The planned replies' posts in claim order: priority (mention, target, search), then approval time. */
function claimOrder(planned: readonly Planned[]): string[] {
  return [...planned]
    .sort((p, q) => p.priority - q.priority || q.approvedMinutesAgo - p.approvedMinutesAgo)
    .map(({ s }) => s.post.id);
}

describe.each(databaseTargets())("account pool on $name", (target) => {
  const { db, x, database } = useOwnDatabaseAndFakeX(() => target.create());
  let users: PoolUsers;
  let alice: FakeXUser;
  let clock: Date;

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  /** The POSTs made: the post each answered and the user it came from, in order. */
  const postLog = () =>
    x().requests({ method: "POST", path: "/2/tweets" }).map((request) => ({
      to: (request.body as { reply: { in_reply_to_tweet_id: string } }).reply.in_reply_to_tweet_id,
      by: request.callerUserId,
    }));

  beforeEach(() => {
    ({ users, alice } = addPoolUsers(x()));
    clock = new Date();
  });

  const fixture = createPoolFixture({ db, x, now: () => clock });
  const buildPool = fixture.buildPool;

  /** A reply that starts on `accountId` (free unless `bound`), approved `approvedMinutesAgo` minutes ago. */
  async function seed(accountId: number, approvedMinutesAgo: number, opts: SeedOptions = {}): Promise<Planned> {
    const s = await fixture.seedReply(accountId, alice, { decidedAt: new Date(clock.getTime() - approvedMinutesAgo * MINUTE), ...opts });
    return { s, priority: s.reply.priority, approvedMinutesAgo };
  }

  /** Seven free replies whose priority and approval time are not in id order. */
  async function seedMixedBacklog(startOn: number): Promise<Planned[]> {
    const plan = [
      ["search", 50],
      ["mention", 10],
      ["target", 40],
      ["mention", 30],
      ["search", 20],
      ["target", 5],
      ["mention", 1],
    ] as const;
    const planned = [];
    for (const [source, minutesAgo] of plan) planned.push(await seed(startOn, minutesAgo, { source }));
    return planned;
  }

  const replyRows = (ids: readonly number[]) =>
    db().select().from(replies).where(inArray(replies.id, [...ids])).orderBy(asc(replies.id));

  async function accountStatus(id: number) {
    const [row] = await db().select().from(xAccounts).where(eq(xAccounts.id, id));
    return row!.status;
  }

  it("an account answering 401 mid-batch: its free replies go out from the others in order, its bound ones wait, 0 duplicates", async () => {
    // Account a's token is revoked right after its first POST went through.
    const h = await buildPool({
      wrap: (client: XAccountClient): XAccountClient => ({
        ...client,
        async postReply(text, inReplyTo, signal) {
          const posted = await client.postReply(text, inReplyTo, signal);
          x().setUserAccess(users.a.id, "revoked");
          return posted;
        },
      }),
    });
    const { a, b, c } = h.ids;
    const boundFirst = await seed(a, 60, { bound: true });
    const boundLater = await seed(a, 3, { bound: true, source: "target" });
    const free = await seedMixedBacklog(a);

    expect(await h.publisher.runOnce()).toEqual({ published: 8, failed: 0, retrying: 1 });
    const log = postLog();
    // a posted its first reply, then its 401 handed the next one back; b and c took turns.
    expect(log.map((entry) => entry.to)).toEqual([boundFirst.s.post.id, ...claimOrder(free)]);
    const userOf = new Map([
      [a, users.a.id],
      [b, users.b.id],
      [c, users.c.id],
    ]);
    expect(log.map((entry) => entry.by)).toEqual([a, b, c, b, c, b, c, b].map((id) => userOf.get(id)));
    for (const { s } of [boundFirst, ...free]) expect(x().repliesTo(s.post.id)).toHaveLength(1);
    expect(x().repliesTo(boundLater.s.post.id)).toHaveLength(0);
    expect(await accountStatus(a)).toBe("failed");
    // The bound reply waits for a, untouched; nothing failed or was dead-lettered.
    expect((await replyRows([boundLater.s.reply.id]))[0]).toMatchObject({ status: "approved", attemptCount: 0, accountId: a });
    expect(await db().select().from(deadLetters)).toEqual([]);
    // Each free reply went out from the account that claimed it, recorded on the reply and its attempt.
    for (const row of await replyRows(free.map(({ s }) => s.reply.id))) {
      expect(row.status).toBe("published");
      const attempts = await db().select().from(publishAttempts).where(eq(publishAttempts.replyId, row.id));
      expect(attempts.filter((attempt) => attempt.outcome === "posted").map((attempt) => attempt.accountId)).toEqual([row.accountId]);
    }

    // a comes back: the recheck reintegrates it, and it publishes its bound reply.
    x().setUserAccess(users.a.id, "ok");
    await recheck(h.accounts);
    advance(MINUTE);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(postLog().at(-1)).toEqual({ to: boundLater.s.post.id, by: users.a.id });
    expect(x().repliesTo(boundLater.s.post.id)).toHaveLength(1);
  });

  it("all three accounts fail → everything waits (nothing failed or dead-lettered); one recovers → it drains in order", async () => {
    const h = await buildPool();
    const { a, b, c } = h.ids;
    const free = await seedMixedBacklog(a);
    const boundToB = await seed(b, 90, { bound: true });
    const ids = [...free.map(({ s }) => s.reply.id), boundToB.s.reply.id];
    for (const user of Object.values(users)) x().setUserAccess(user.id, "revoked");

    // Each account finds out on its first call and hands its reply back.
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 3 });
    for (const id of [a, b, c]) expect(await accountStatus(id)).toBe("failed");
    const seen = x().requests().length;
    advance(HOUR);
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(x().requests()).toHaveLength(seen);
    for (const row of await replyRows(ids)) expect(row).toMatchObject({ status: "approved", attemptCount: 0, needsReconcile: false });
    expect(await db().select().from(deadLetters)).toEqual([]);
    expect(h.exhausted).toEqual([]);
    expect(postLog()).toEqual([]);

    // c returns: it drains the free replies in priority-then-approval order; b's bound one still waits.
    x().setUserAccess(users.c.id, "ok");
    await recheck(h.accounts);
    expect(await h.publisher.runOnce()).toEqual({ published: 7, failed: 0, retrying: 0 });
    expect(postLog()).toEqual(claimOrder(free).map((to) => ({ to, by: users.c.id })));
    expect((await replyRows([boundToB.s.reply.id]))[0]).toMatchObject({ status: "approved", attemptCount: 0 });
    for (const { s } of free) expect(x().repliesTo(s.post.id)).toHaveLength(1);
  });

  it("an ambiguous attempt on a is never claimed by b or c while a is down; a reconciles it when it returns", async () => {
    const h = await buildPool({ retryBaseMs: 1_000 });
    const { a } = h.ids;
    const pending = await seed(a, 10);
    // a's POST reaches X but its answer is lost: the outcome is unknown.
    x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDrop" });
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
    expect((await replyRows([pending.s.reply.id]))[0]).toMatchObject({ status: "approved", needsReconcile: true, accountId: a });
    expect(x().repliesTo(pending.s.post.id)).toHaveLength(1);

    x().setUserAccess(users.a.id, "revoked");
    for (let run = 0; run < 3; run++) {
      advance(10 * MINUTE);
      await h.publisher.runOnce();
    }
    expect(await accountStatus(a)).toBe("failed");
    // Only a ever claimed it (its 401 handed it back still flagged); b and c never did.
    const attempts = await db().select().from(publishAttempts).where(eq(publishAttempts.replyId, pending.s.reply.id));
    expect(new Set(attempts.map((attempt) => attempt.accountId))).toEqual(new Set([a]));
    expect(postLog()).toHaveLength(1);
    expect((await replyRows([pending.s.reply.id]))[0]).toMatchObject({ status: "approved", needsReconcile: true, accountId: a });

    x().setUserAccess(users.a.id, "ok");
    await recheck(h.accounts);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(postLog()).toHaveLength(1);
    expect(x().repliesTo(pending.s.post.id)).toHaveLength(1);
    const outcomes = await db().select().from(publishAttempts).where(eq(publishAttempts.replyId, pending.s.reply.id));
    expect(outcomes.map((attempt) => attempt.outcome)).toContain("reconciled");
  });

  it("while a is down, the admin may let another account post a reply a's unconfirmed attempt holds: once, from b", async () => {
    const h = await buildPool({ retryBaseMs: 1_000 });
    const { a, b } = h.ids;
    const pending = await seed(a, 10);
    // a's POST is cut before X creates anything, but a cannot know: the outcome is unknown.
    x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "drop" });
    await h.publisher.runOnce();
    x().setUserAccess(users.a.id, "revoked");
    advance(10 * MINUTE);
    await h.publisher.runOnce();
    expect(h.publisher.isAccountDown(a)).toBe(true);
    const held = (await replyRows([pending.s.reply.id]))[0]!;
    expect(held).toMatchObject({ status: "approved", needsReconcile: true, accountId: a });

    const review = createReview({
      db: db(),
      settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      drafter: undefined,
      timeZone: "UTC",
      now: () => clock,
      isAccountDown: (id) => h.publisher.isAccountDown(id),
    });
    expect(await review.postFromAnotherAccount(held.id, held.version - 1, 42)).toMatchObject({ ok: false, message: expect.stringContaining("changed") });
    expect(await review.postFromAnotherAccount(held.id, held.version, 42)).toMatchObject({ ok: true });
    expect(await review.postFromAnotherAccount(held.id, held.version, 42)).toMatchObject({ ok: false });
    expect(await h.publisher.runOnce()).toMatchObject({ published: 1 });
    expect(x().repliesTo(pending.s.post.id)).toHaveLength(1);
    expect((await replyRows([held.id]))[0]).toMatchObject({ status: "published", accountId: b });
  });

  it("the admin cannot release a reply whose account is back (it checks X itself) nor one bound to its account", async () => {
    const h = await buildPool({ retryBaseMs: 1_000 });
    const { a } = h.ids;
    const pending = await seed(a, 10);
    x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "drop" });
    await h.publisher.runOnce();
    const held = (await replyRows([pending.s.reply.id]))[0]!;
    const review = createReview({
      db: db(),
      settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      drafter: undefined,
      timeZone: "UTC",
      isAccountDown: () => false,
    });
    expect(await review.postFromAnotherAccount(held.id, held.version, 42)).toEqual({ ok: false, message: "Its account is back: it checks X before posting." });
    const bound = await seed(a, 5, { bound: true });
    const boundRow = (await replyRows([bound.s.reply.id]))[0]!;
    const downReview = createReview({ db: db(), settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS), drafter: undefined, timeZone: "UTC", isAccountDown: () => true });
    expect(await downReview.postFromAnotherAccount(boundRow.id, boundRow.version, 42)).toMatchObject({ ok: false, message: expect.stringContaining("Nothing to release") });
    expect((await replyRows([held.id]))[0]).toMatchObject({ needsReconcile: true, accountId: a });
  });

  it("a free reply refused with 429 goes to another account at once; the limited account waits out its reset", async () => {
    const h = await buildPool();
    const { b } = h.ids;
    const first = await seed(h.ids.a, 20);
    const second = await seed(h.ids.a, 10);
    x().enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "rateLimited", resetInSeconds: 600 });

    expect(await h.publisher.runOnce()).toEqual({ published: 2, failed: 0, retrying: 1 });
    // a's POST was refused; b took the same reply next, c the one after it.
    expect(postLog().map((entry) => entry.to)).toEqual([first.s.post.id, first.s.post.id, second.s.post.id]);
    expect((await replyRows([first.s.reply.id]))[0]).toMatchObject({ status: "published", accountId: b });
  });

  it("round_robin takes turns; least_loaded picks the account with the fewest posts in the last hour", async () => {
    const rr = await buildPool({ strategy: "round_robin" });
    for (let i = 0; i < 6; i++) await seed(rr.ids.a, 10 - i);
    expect(await rr.publisher.runOnce()).toMatchObject({ published: 6 });
    const { a: ua, b: ub, c: uc } = users;
    expect(postLog().map((entry) => entry.by)).toEqual([ua.id, ub.id, uc.id, ua.id, ub.id, uc.id]);

    await clearWorkflowTables(db());
    x().reset();
    ({ users, alice } = addPoolUsers(x()));
    const ll = await buildPool({ strategy: "least_loaded" });
    // Load in the last hour: a posted twice, c once, b not at all.
    const history = [ll.ids.a, ll.ids.a, ll.ids.c];
    for (const [i, accountId] of history.entries()) {
      const old = await seed(accountId, 120 + i);
      await db().update(replies).set({ status: "published", accountId }).where(eq(replies.id, old.s.reply.id));
      await db()
        .insert(publishAttempts)
        .values({ id: `00000000-0000-4000-8000-00000000010${i}`, replyId: old.s.reply.id, accountId, startedAt: new Date(clock.getTime() - 30 * MINUTE), outcome: "posted" });
    }
    for (let i = 0; i < 4; i++) await seed(ll.ids.a, 10 - i);
    expect(await ll.publisher.runOnce()).toMatchObject({ published: 4 });
    // b (0) → c and b tie at 1, c is next in turn → b (1 vs 2, 2) → all at 2, c next in turn.
    expect(postLog().map((entry) => entry.by)).toEqual([users.b.id, users.c.id, users.b.id, users.c.id]);
  });

  it("the card of a bound reply waiting on a down account says so; it is redrawn when the account returns", async () => {
    const h = await buildPool();
    const { b } = h.ids;
    const bound = await seed(b, 5, { bound: true });
    const views: CardView[] = [];
    const cards = createCardSync({
      db: db(),
      sink: {
        send: (view) => {
          views.push(view);
          return Promise.resolve(views.length);
        },
        update: (_, view) => {
          views.push(view);
          return Promise.resolve();
        },
      },
      pause: new PauseSwitch(db()),
      logger: silentLogger(),
      timeZone: "UTC",
      accountUsername: (id) => ({ [b]: "replygal" })[id],
      isAccountDown: (id) => h.publisher.isAccountDown(id),
      now: () => clock,
    });
    await cards.sync();
    expect(views.at(-1)?.waitingFor).toBeUndefined();

    x().setUserAccess(users.b.id, "revoked");
    await h.publisher.runOnce();
    await cards.sync();
    expect(views.at(-1)?.waitingFor).toEqual({ account: "@replygal", why: "bound" });
    expect(renderCard(views.at(-1)!)).toContain("Waits for @replygal</b>, unavailable now: the author summoned it");

    x().setUserAccess(users.b.id, "ok");
    await recheck(h.accounts);
    // The account is back before the publish run: the run redraws the card, then publishes the reply.
    await db().update(replies).set({ scheduledAt: new Date(clock.getTime() + HOUR) }).where(eq(replies.id, bound.s.reply.id));
    await h.publisher.runOnce();
    await cards.sync();
    expect(views.at(-1)?.waitingFor).toBeUndefined();
    expect(views.at(-1)?.reply.status).toBe("approved");
  });

  it("the claim walks replies_claim_order_idx in order: the plan has no Sort node", async () => {
    const h = await buildPool();
    await seedMixedBacklog(h.ids.a);
    const plan = (withIndex: boolean) =>
      planRolledBack(db(), async (tx) => {
        // On a few rows a sequential scan is cheapest; forbid it so the plan shows which order the index serves.
        await tx.execute(sql`set local enable_seqscan = off`);
        if (!withIndex) await tx.execute(sql`drop index replies_claim_order_idx`);
        return tx.execute(sql`explain ${claimStatement({ accountId: h.ids.a, now: clock, leaseSeconds: 120 })}`);
      });
    const withIndex = await plan(true);
    expect(withIndex.join("\n")).toContain("replies_claim_order_idx");
    expect(withIndex.filter((line) => /\bSort\b/.test(line))).toEqual([]);
    // Without the index the same claim sorts (the transaction above rolled the drop back).
    expect((await plan(false)).some((line) => /\bSort\b/.test(line))).toBe(true);
  });

  // Real concurrency needs two connection pools: only a PostgreSQL server has them.
  it.runIf(target.name === "postgres")("two claimers on two connection pools never claim the same reply, and skip a locked one instead of waiting", async () => {
    const second = openPostgres(database().url!, silentLogger());
    try {
      const h = await buildPool();
      const seeded = [];
      for (let i = 0; i < 30; i++) seeded.push(await seed(h.ids.a, 60 - i));
      const claimed: number[] = [];
      for (;;) {
        const [one, two] = await Promise.all([
          claimOne(db(), { accountId: h.ids.b, now: clock, leaseSeconds: 120 }),
          claimOne(second.db, { accountId: h.ids.c, now: clock, leaseSeconds: 120 }),
        ]);
        if (!one && !two) break;
        for (const claim of [one, two]) if (claim) claimed.push(claim.reply.id);
      }
      expect(claimed).toHaveLength(30);
      expect(new Set(claimed).size).toBe(30);
      const attempts = await db().select().from(publishAttempts);
      expect(attempts).toHaveLength(30);
      expect(new Set(attempts.map((attempt) => attempt.replyId)).size).toBe(30);

      // While b's claim holds the first free reply locked, c skips it (never waits) and takes the next.
      const [first, next] = [await seed(h.ids.a, 5), await seed(h.ids.a, 4)];
      const taken = await second.db.transaction(async (tx) => {
        const locked = await claimOne(tx, { accountId: h.ids.b, now: clock, leaseSeconds: 120 });
        expect(locked?.reply.id).toBe(first.s.reply.id);
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("the claim waited on a row another claimer had locked")), 5_000);
        });
        try {
          return await Promise.race([claimOne(db(), { accountId: h.ids.c, now: clock, leaseSeconds: 120 }), deadline]);
        } finally {
          clearTimeout(timer);
        }
      });
      expect(taken?.reply.id).toBe(next.s.reply.id);
    } finally {
      await second.close();
    }
  });
});
