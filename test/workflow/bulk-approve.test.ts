/**
 * Bulk approve over the account pool: a batch is planned (checked, nothing changed), confirmed once, and each draft
 * approved by the card's own guarded move; the publisher gives each reply its account at claim time, so every reply
 * goes out once from one account, in order within each account. Three accounts on the fake X.
 */
import { asc, eq, inArray } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { optOuts, publishAttempts, replies } from "../../src/db/schema.js";
import { createBulkApproval } from "../../src/workflow/bulk/batches.js";
import { createBatchProgress, type BatchView } from "../../src/workflow/bulk/progress.js";
import { countOf, type BatchTally } from "../../src/workflow/bulk/tally.js";
import type { PostSource } from "../../src/workflow/discovery.js";
import { createReview } from "../../src/workflow/review.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import type { XAccountClient } from "../../src/x/types.js";
import { addPoolUsers, POOL_TOKENS, useOwnDatabaseAndFakeX, type PoolUsers } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import { createPublishFixture, type PublisherOptions, type SeededReply, claimOne } from "../support/publish-fixture.js";
import { WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const ADMIN = 4242;
const MESSAGE = { chatId: -100, messageId: 77 };
const DLQ = { cron: "15 * * * * *", baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 5 };
const SOURCES: readonly PostSource[] = ["search", "mention", "target"];

/** The count of a tally's lines matching `outcome` (and `account`, `reason` when given). */
function linesOf(tally: BatchTally, outcome: string, account?: string) {
  return tally.lines.filter((line) => line.outcome === outcome && (account === undefined || line.account === account));
}

describe.each(databaseTargets())("bulk approve on $name", (target) => {
  const { db, x: fakeX } = useOwnDatabaseAndFakeX(() => target.create());
  let users: PoolUsers;
  let alice: FakeXUser;
  let clock: Date;

  beforeEach(() => {
    ({ users, alice } = addPoolUsers(fakeX()));
    clock = new Date();
  });

  const fixture = createPublishFixture({ db, x: fakeX, now: () => clock, token: POOL_TOKENS.a, label: "a" });
  const pool = [
    { label: "b", token: POOL_TOKENS.b },
    { label: "c", token: POOL_TOKENS.c },
  ];

  /** A publisher over accounts a, b, c, and the bulk actions with a sink that records every view it is shown. */
  async function build(opts: PublisherOptions = {}) {
    const rig = await fixture.buildWithQueue(DLQ, { ...opts, pool });
    for (const account of rig.accounts.all()) await rig.accounts.identity(account);
    const [a, b, c] = rig.accounts.all().map((account) => account.id) as [number, number, number];
    const shown: BatchView[] = [];
    const progress = createBatchProgress({
      db: db(),
      logger: silentLogger(),
      editIntervalMs: 0,
      sink: {
        show: (_chat, _message, view) => {
          shown.push(view);
          return Promise.resolve();
        },
      },
    });
    const settings = new SettingsStore(db(), { ...WORKFLOW_TEST_DEFAULTS, ...opts.settings });
    const bulk = createBulkApproval({
      db: db(),
      accounts: rig.accounts,
      settings,
      progress,
      strategy: "round_robin",
      timeZone: "UTC",
      now: () => clock,
      random: () => 0,
    });
    const review = createReview({ db: db(), settings, drafter: undefined, timeZone: "UTC", now: () => clock });
    return { ...rig, ids: { a, b, c }, bulk, progress, shown, review };
  }

  /** `count` drafts awaiting approval, free unless `boundTo`, sources cycling so priority and id order differ. */
  async function drafts(count: number, opts: { boundTo?: number; startOn: number }): Promise<SeededReply[]> {
    const seeded = [];
    for (let index = 0; index < count; index++) {
      seeded.push(
        await fixture.seedReply(opts.boundTo ?? opts.startOn, alice, {
          awaiting: true,
          bound: opts.boundTo !== undefined,
          source: SOURCES[index % SOURCES.length],
        }),
      );
    }
    return seeded;
  }

  /** The POSTs made: the post each answered and the X user it came from, in order. */
  const postLog = () =>
    fakeX().requests({ method: "POST", path: "/2/tweets" }).map((request) => ({
      to: (request.body as { reply: { in_reply_to_tweet_id: string } }).reply.in_reply_to_tweet_id,
      by: request.callerUserId,
    }));

  const rows = (ids: readonly number[]) => db().select().from(replies).where(inArray(replies.id, [...ids])).orderBy(asc(replies.id));

  it("approves 50 drafts across 3 accounts: each published once by one account, bound ones by theirs, in claim order per account", async () => {
    const h = await build();
    const { a, b, c } = h.ids;
    const bound = [...(await drafts(4, { boundTo: a, startOn: a })), ...(await drafts(3, { boundTo: b, startOn: b })), ...(await drafts(3, { boundTo: c, startOn: c }))];
    const free = await drafts(40, { startOn: a });
    const all = [...bound, ...free];

    const plan = await h.bulk.prepareAll("approve", ADMIN);
    expect(plan).toMatchObject({ kind: "approve", count: 50, skipped: [], free: { count: 40, strategy: "round_robin" } });
    expect(plan.bound).toEqual([
      { account: "@replyguy", count: 4 },
      { account: "@replygal", count: 3 },
      { account: "@replybot", count: 3 },
    ]);
    expect(plan.free.accounts).toEqual(["@replyguy", "@replygal", "@replybot"]);
    expect(plan.window!.earliest.getTime()).toBeGreaterThanOrEqual(clock.getTime());
    // Nothing changed before the confirmation.
    expect((await rows(all.map((s) => s.reply.id))).every((row) => row.status === "awaiting_approval")).toBe(true);

    expect(await h.bulk.confirm(plan.batchId, ADMIN, MESSAGE)).toEqual({ ok: true, decided: 50, skipped: 0 });
    expect(await h.publisher.runOnce()).toEqual({ published: 50, failed: 0, retrying: 0 });

    for (const s of all) expect(fakeX().repliesTo(s.post.id)).toHaveLength(1);
    const userOf = new Map([
      [a, users.a.id],
      [b, users.b.id],
      [c, users.c.id],
    ]);
    const stored = await rows(all.map((s) => s.reply.id));
    const byPost = new Map(stored.map((row) => [row.postTweetId, row]));
    for (const s of bound) expect(byPost.get(s.post.id)).toMatchObject({ status: "published", accountId: s.reply.boundAccountId });
    for (const row of stored) {
      const attempts = await db().select().from(publishAttempts).where(eq(publishAttempts.replyId, row.id));
      expect(attempts.map((attempt) => attempt.accountId)).toEqual([row.accountId]);
    }
    // Within each account, replies went out in claim order: priority, then approval time (one for all), then id.
    for (const id of [a, b, c]) {
      const posted = postLog().filter((entry) => entry.by === userOf.get(id)).map((entry) => byPost.get(entry.to)!);
      const sorted = [...posted].sort((p, q) => p.priority - q.priority || p.id - q.id);
      expect(posted.map((row) => row.id)).toEqual(sorted.map((row) => row.id));
      expect(posted.length).toBeGreaterThan(3);
    }

    await h.progress.refresh();
    const summary = h.shown.at(-1)!;
    expect(summary).toMatchObject({ id: plan.batchId, status: "done", cancelled: false });
    expect(countOf(summary.tally, "published")).toBe(50);
    for (const [id, name] of [
      [a, "@replyguy"],
      [b, "@replygal"],
      [c, "@replybot"],
    ] as const) {
      expect(linesOf(summary.tally, "published", name)[0]!.count).toBe(stored.filter((row) => row.accountId === id).length);
    }
    expect((await h.bulk.recent(3)).map((view) => view.id)).toEqual([plan.batchId]);
  });

  it("an account answering 401 mid-batch: its free replies go out from the others, its bound ones wait, the progress says for whom", async () => {
    const h = await build({
      wrap: (client: XAccountClient): XAccountClient => ({
        ...client,
        async postReply(text, inReplyTo, signal) {
          const posted = await client.postReply(text, inReplyTo, signal);
          fakeX().setUserAccess(users.a.id, "revoked");
          return posted;
        },
      }),
    });
    const { a } = h.ids;
    const bound = await drafts(3, { boundTo: a, startOn: a });
    const free = await drafts(12, { startOn: a });
    const plan = await h.bulk.prepareAll("approve", ADMIN);
    await h.bulk.confirm(plan.batchId, ADMIN, MESSAGE);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 13 });

    for (const s of free) expect(fakeX().repliesTo(s.post.id)).toHaveLength(1);
    const boundRows = await rows(bound.map((s) => s.reply.id));
    expect(boundRows.filter((row) => row.status === "published")).toHaveLength(1);
    expect(boundRows.filter((row) => row.status === "approved")).toHaveLength(2);
    await h.progress.refresh();
    const running = h.shown.at(-1)!;
    expect(running.status).toBe("running");
    expect(linesOf(running.tally, "waiting")).toEqual([{ outcome: "waiting", account: "@replyguy", reason: "account failed", count: 2 }]);
    expect(countOf(running.tally, "published")).toBe(13);
    expect(linesOf(running.tally, "published", "@replyguy")[0]!.count).toBe(1);

    // Cancel: the two bound replies waiting for a go back to review; the batch is done.
    expect(await h.bulk.cancel(plan.batchId)).toEqual({ ok: true, unapproved: 2 });
    const summary = h.shown.at(-1)!;
    expect(summary).toMatchObject({ status: "done", cancelled: true });
    expect(linesOf(summary.tally, "cancelled")).toEqual([{ outcome: "cancelled", account: "@replyguy", reason: "account failed", count: 2 }]);
    expect(countOf(summary.tally, "published")).toBe(13);
    expect((await rows(bound.map((s) => s.reply.id))).filter((row) => row.status === "awaiting_approval")).toHaveLength(2);
  });

  it("Cancel mid-batch un-approves only what no attempt holds; a claimed reply finishes", async () => {
    // A 10-minute gap after each post: every account posts once per run.
    const h = await build({ settings: { gapSeconds: { min: 600, max: 600 } } });
    const seeded = await drafts(10, { startOn: h.ids.a });
    const plan = await h.bulk.prepareAll("approve", ADMIN);
    await h.bulk.confirm(plan.batchId, ADMIN, MESSAGE);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 3 });
    // A worker holds the next reply (claimed, its POST not made yet): Cancel leaves it to that attempt.
    const held = await claimOne(db(), { accountId: h.ids.a, now: new Date(clock.getTime() + 3_600_000), leaseSeconds: 120 });

    const outside = await fixture.seedReply(h.ids.b, alice);
    expect(await h.bulk.cancel(plan.batchId)).toEqual({ ok: true, unapproved: 6 });
    // A reply approved outside the batch is not the batch's to cancel.
    expect((await rows([outside.reply.id]))[0]!.status).toBe("approved");
    expect(await h.bulk.cancel(plan.batchId)).toMatchObject({ ok: false, message: "Already cancelled: the replies being published finish." });
    expect(h.shown.at(-1)).toMatchObject({ status: "running", cancelled: true });
    expect(linesOf(h.shown.at(-1)!.tally, "waiting")).toMatchObject([{ count: 1 }]);
    const stored = await rows(seeded.map((s) => s.reply.id));
    expect(stored.filter((row) => row.status === "awaiting_approval")).toHaveLength(6);
    expect(stored.find((row) => row.id === held!.reply.id)!.status).toBe("publishing");

    // The held reply goes back (its lease expired) and is published; nothing else goes out.
    await fixture.expireLease(held!.reply.id);
    clock = new Date(clock.getTime() + 3_600_000);
    // Released for reconciliation first (its attempt may have posted), then reconciled by a and posted.
    for (let run = 0; run < 2; run++) {
      await h.publisher.runOnce();
      clock = new Date(clock.getTime() + 3_600_000);
    }
    expect((await rows([outside.reply.id, held!.reply.id])).map((row) => row.status)).toEqual(["published", "published"]);
    expect(postLog()).toHaveLength(5);
    await h.progress.refresh();
    const summary = h.shown.at(-1)!;
    expect(summary).toMatchObject({ status: "done", cancelled: true });
    expect([countOf(summary.tally, "published"), countOf(summary.tally, "cancelled")]).toEqual([4, 6]);
    expect(await h.bulk.cancel(plan.batchId)).toMatchObject({ ok: false, message: "This batch is already done." });
  });

  it("is idempotent: a second Approve all and a card press during the batch change nothing twice", async () => {
    const h = await build();
    const seeded = await drafts(6, { startOn: h.ids.a });
    const first = await h.bulk.prepareAll("approve", ADMIN);
    const second = await h.bulk.prepareAll("approve", ADMIN);
    // A card press between the confirmation and the batch: that draft is the card's, the batch skips it.
    const pressed = seeded[0]!.reply;
    expect(await h.review.approve(pressed.id, pressed.version, ADMIN)).toMatchObject({ ok: true });
    expect(await h.bulk.confirm(first.batchId, ADMIN, MESSAGE)).toEqual({ ok: true, decided: 5, skipped: 1 });
    expect(await h.bulk.confirm(first.batchId, ADMIN, MESSAGE)).toEqual({ ok: false, message: "This batch is already running." });
    expect(await h.bulk.confirm(second.batchId, ADMIN, MESSAGE)).toEqual({ ok: true, decided: 0, skipped: 6 });
    const during = (await rows([seeded[1]!.reply.id]))[0]!;
    expect(await h.review.approve(during.id, seeded[1]!.reply.version, ADMIN)).toEqual({ ok: false, message: "Already approved." });

    expect(await h.publisher.runOnce()).toMatchObject({ published: 6 });
    for (const s of seeded) expect(fakeX().repliesTo(s.post.id)).toHaveLength(1);
    expect(postLog()).toHaveLength(6);
    await h.progress.refresh();
    const firstView = (await h.bulk.view(first.batchId))!;
    expect([countOf(firstView.tally, "published"), countOf(firstView.tally, "skipped")]).toEqual([5, 1]);
    expect(linesOf(firstView.tally, "skipped")[0]!.reason).toBe("already decided");
  });

  it("skips drafts that cannot go out, each with its reason, and approves the rest", async () => {
    const h = await build();
    const { a, b } = h.ids;
    const [deleted, fine] = await drafts(2, { startOn: a });
    const tooLong = await fixture.seedReply(a, alice, { awaiting: true, tooLong: true });
    const [boundToB] = await drafts(1, { boundTo: b, startOn: b });
    const bob = fakeX().addUser({ id: "820010", username: "Bob" });
    const byBob = await fixture.seedReply(a, bob, { awaiting: true });
    fakeX().deleteTweet(deleted!.post.id);
    await db().insert(optOuts).values({ username: "bob" });
    await h.accounts.setStatus(b, "failed", "401 from X", { quiet: true });

    const plan = await h.bulk.prepareAll("approve", ADMIN);
    expect(new Map(plan.skipped.map((skip) => [skip.replyId, skip.reason]))).toEqual(
      new Map([
        [deleted!.reply.id, "post_deleted"],
        [tooLong.reply.id, "draft_too_long"],
        [boundToB!.reply.id, "account_down"],
        [byBob.reply.id, "opted_out"],
      ]),
    );
    expect(plan.count).toBe(1);
    expect(await h.bulk.confirm(plan.batchId, ADMIN, MESSAGE)).toEqual({ ok: true, decided: 1, skipped: 0 });
    expect(await h.publisher.runOnce()).toMatchObject({ published: 1 });
    expect(fakeX().repliesTo(fine!.post.id)).toHaveLength(1);
    await h.progress.refresh();
    const summary = h.shown.at(-1)!;
    expect(summary.status).toBe("done");
    expect(new Set(linesOf(summary.tally, "skipped").map((line) => line.reason))).toEqual(
      new Set(["post deleted or unknown", "draft too long", "its account is failed or disabled", "author opted out"]),
    );
    expect(countOf(summary.tally, "skipped")).toBe(4);
  });

  it("edits a batch's message at most once per interval, whoever asks; the edit held back is made once the interval has passed", async () => {
    const h = await build();
    await drafts(2, { startOn: h.ids.a });
    const plan = await h.bulk.prepareAll("approve", ADMIN);
    await h.bulk.confirm(plan.batchId, ADMIN, MESSAGE);
    const shown: BatchView[] = [];
    const throttled = createBatchProgress({
      db: db(),
      logger: silentLogger(),
      now: () => clock,
      editIntervalMs: 3_000,
      sink: {
        show: (_chat, _message, view) => {
          shown.push(view);
          return Promise.resolve();
        },
      },
    });
    try {
      clock = new Date(clock.getTime() + 10_000);
      await throttled.refresh();
      clock = new Date(clock.getTime() + 1_000);
      await h.publisher.runOnce();
      await throttled.refresh();
      expect(shown.map((view) => view.status)).toEqual(["running"]);
      clock = new Date(clock.getTime() + 3_000);
      await throttled.refresh();
      expect(shown.map((view) => view.status)).toEqual(["running", "done"]);
      await throttled.refresh();
      expect(shown).toHaveLength(2);
    } finally {
      throttled.stop();
    }
  });

  it("Reject all rejects every open draft, even one that could not be approved; nothing is posted", async () => {
    const h = await build();
    const seeded = await drafts(3, { startOn: h.ids.a });
    const tooLong = await fixture.seedReply(h.ids.a, alice, { awaiting: true, tooLong: true });
    const plan = await h.bulk.prepareAll("reject", ADMIN);
    expect(plan).toMatchObject({ kind: "reject", count: 4, skipped: [], window: undefined });
    expect(await h.bulk.confirm(plan.batchId, ADMIN, MESSAGE)).toEqual({ ok: true, decided: 4, skipped: 0 });
    const stored = await rows([...seeded.map((s) => s.reply.id), tooLong.reply.id]);
    expect(stored.map((row) => row.status)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 0 });
    expect(h.shown.at(-1)).toMatchObject({ status: "done", kind: "reject" });
    expect(countOf(h.shown.at(-1)!.tally, "rejected")).toBe(4);
  });

  it("Approve selected approves the drafts toggled on, page by page, and only those", async () => {
    const h = await build();
    const seeded = await drafts(5, { startOn: h.ids.a });
    const selection = await h.bulk.selection.start(ADMIN);
    for (const s of [seeded[0]!, seeded[3]!, seeded[4]!]) expect(await h.bulk.selection.toggle(selection, s.reply.id)).toEqual({ ok: true, selected: true });
    expect(await h.bulk.selection.toggle(selection, seeded[4]!.reply.id)).toEqual({ ok: true, selected: false });
    const second = await h.bulk.selection.page(selection, 1, 3);
    expect(second).toMatchObject({ selected: 2, page: 1, pages: 2 });
    expect(second.entries.map((entry) => entry.selected)).toEqual([true, false]);

    const prepared = await h.bulk.prepareSelection(selection);
    expect(prepared).toMatchObject({ ok: true, plan: { count: 2 } });
    expect(await h.bulk.selection.toggle(selection, seeded[1]!.reply.id)).toMatchObject({ ok: false });
    await h.bulk.confirm(selection, ADMIN, MESSAGE);
    await h.publisher.runOnce();
    expect(postLog().map((entry) => entry.to).sort()).toEqual([seeded[0]!.post.id, seeded[3]!.post.id].sort());
  });
});
