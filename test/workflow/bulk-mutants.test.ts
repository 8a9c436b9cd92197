/**
 * The bulk batch's parts one at a time, on a real database with stub X clients: the checks that leave a draft out
 * (each reason at its boundary), the tally a progress message and a summary show, the plan a confirmation states,
 * the progress keeper's throttled edits, and every refusal of a batch move. Fast companions of bulk-approve.test.ts,
 * which drives the whole flow over the fake X.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { approvalBatches, approvalBatchItems, optOuts, posts, replies, workflowEvents, xAccounts, type BatchItemState, type ReplyStatus } from "../../src/db/schema.js";
import { XAccounts, type XAccountRow } from "../../src/workflow/accounts.js";
import { createBulkApproval, type BulkDeps } from "../../src/workflow/bulk/batches.js";
import { accountName, describePlan, draftsWithPosts } from "../../src/workflow/bulk/plan.js";
import { batchView, createBatchProgress, PROGRESS_EDIT_INTERVAL_MS, type BatchView } from "../../src/workflow/bulk/progress.js";
import { countOf, tallyBatch, type BatchTally } from "../../src/workflow/bulk/tally.js";
import { findSkips, type DraftWithPost } from "../../src/workflow/bulk/validate.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import type { XAccountClient, XPost } from "../../src/x/types.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";
import { xPost } from "../support/x-post.js";

const NOW = new Date("2026-03-02T10:00:00Z");
const ADMIN = 4242;
const HOUR = 3_600_000;

/** A post as a lookup returns it. */
function visiblePost(id: string): XPost {
  return xPost({ id });
}

/** An X client that only answers lookups: the posts in `visible`, or the failure `lookupError`. */
function stubClient(state: { visible: Set<string>; lookups: string[][]; lookupError?: Error }): XAccountClient {
  const unused = () => Promise.reject(new Error("not used by the bulk checks"));
  return {
    me: unused,
    userByUsername: unused,
    mentions: unused,
    userPosts: unused,
    searchRecent: unused,
    getPost: unused,
    postReply: unused,
    uploadMedia: unused,
    rateLimits: () => new Map(),
    lookupPosts(ids) {
      state.lookups.push(ids);
      if (state.lookupError) return Promise.reject(state.lookupError);
      return Promise.resolve(ids.filter((id) => state.visible.has(id)).map(visiblePost));
    },
  };
}

describe.each(databaseTargets())("bulk batch parts on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let seq = 0;
  let x: { visible: Set<string>; lookups: string[][]; lookupError?: Error };
  let ids: { a: number; b: number; c: number };
  let accounts: XAccounts;

  beforeEach(async () => {
    x = { visible: new Set(), lookups: [] };
    accounts = await XAccounts.register(
      db(),
      new Map([
        ["a", stubClient(x)],
        ["b", stubClient(x)],
        ["c", stubClient(x)],
      ]),
    );
    const [a, b, c] = accounts.all().map((account) => account.id) as [number, number, number];
    ids = { a, b, c };
    await db().update(xAccounts).set({ username: "ann" }).where(eq(xAccounts.id, a));
    await db().update(xAccounts).set({ username: "bea" }).where(eq(xAccounts.id, b));
  });

  /** A draft and its post (visible on X unless `hidden`). */
  async function draft(
    opts: {
      status?: ReplyStatus;
      author?: string | null;
      bound?: number | null;
      account?: number | null;
      expiresAt?: Date;
      weightedLength?: number;
      tooLong?: boolean;
      hidden?: boolean;
      failureReason?: string;
      needsReconcile?: boolean;
    } = {},
  ) {
    seq++;
    const tweetId = `77${seq}`;
    if (!opts.hidden) x.visible.add(tweetId);
    await db()
      .insert(posts)
      .values({
        tweetId,
        authorId: `au-${seq}`,
        authorUsername: opts.author === undefined ? "alice" : opts.author,
        text: "a post",
        source: "mention",
        sourceDetail: "m",
        accountId: ids.a,
        boundAccountId: opts.bound ?? null,
        answerable: true,
        state: "drafted",
      });
    const [row] = await db()
      .insert(replies)
      .values({
        postTweetId: tweetId,
        status: opts.status ?? "awaiting_approval",
        draft: `draft ${seq}`,
        weightedLength: opts.weightedLength ?? 10,
        tooLong: opts.tooLong ?? false,
        boundAccountId: opts.bound ?? null,
        accountId: opts.account ?? opts.bound ?? null,
        expiresAt: opts.expiresAt ?? new Date(NOW.getTime() + HOUR),
        failureReason: opts.failureReason ?? null,
        needsReconcile: opts.needsReconcile ?? false,
      })
      .returning();
    return row!;
  }

  async function batch(status: "selecting" | "planned" | "running" | "done" | "dropped", extra: Partial<typeof approvalBatches.$inferInsert> = {}) {
    const [row] = await db().insert(approvalBatches).values({ kind: "approve", status, createdBy: ADMIN, ...extra }).returning();
    return row!;
  }

  async function item(batchId: number, replyId: number, state: BatchItemState, reason: string | null = null) {
    await db().insert(approvalBatchItems).values({ batchId, replyId, version: 1, state, reason });
  }

  const withPosts = () => draftsWithPosts(db());

  describe("findSkips", () => {
    const deps = () => ({ db: db(), accounts });

    it("leaves out each draft that cannot go out, with the first reason that applies, at its boundary", async () => {
      const decided = await draft({ status: "approved", expiresAt: new Date(NOW.getTime() - 1) });
      const expired = await draft({ expiresAt: NOW, tooLong: true });
      const open = await draft({ expiresAt: new Date(NOW.getTime() + 1), weightedLength: 280 });
      const flagged = await draft({ tooLong: true });
      const over = await draft({ weightedLength: 281, author: "Bob" });
      const bob = await draft({ author: "BOB" });
      const anonymous = await draft({ author: null });
      const boundDown = await draft({ bound: ids.b, hidden: true });
      const boundUp = await draft({ bound: ids.a });
      const gone = await draft({ hidden: true });
      await db().insert(optOuts).values({ username: "bob" });
      await accounts.setStatus(ids.b, "failed", "401", { quiet: true });

      const drafts = await draftsWithPosts(db(), undefined);
      const decidedPost = (await db().select().from(posts).where(eq(posts.tweetId, decided.postTweetId)))[0]!;
      const skips = await findSkips(deps(), [{ reply: decided, post: decidedPost }, ...drafts], NOW, { kind: "approve", readX: true });
      expect(skips).toEqual(
        new Map([
          [decided.id, "already_decided"],
          [expired.id, "expired"],
          [flagged.id, "draft_too_long"],
          [over.id, "draft_too_long"],
          [bob.id, "opted_out"],
          [boundDown.id, "account_down"],
          [gone.id, "post_deleted"],
        ]),
      );
      expect([open.id, anonymous.id, boundUp.id].some((id) => skips.has(id))).toBe(false);
    });

    it("a draft bound to an account the pool does not hold is left out as account_down", async () => {
      const [other] = await db().insert(xAccounts).values({ label: "elsewhere" }).returning();
      const bound = await draft({ bound: other!.id });
      expect(await findSkips(deps(), await withPosts(), NOW, { kind: "approve", readX: false })).toEqual(new Map([[bound.id, "account_down"]]));
    });

    it("a rejection leaves out only drafts no longer open: decided or expired", async () => {
      await draft({ tooLong: true });
      await draft({ hidden: true });
      await draft({ bound: ids.c });
      await accounts.setStatus(ids.c, "failed", "401", { quiet: true });
      const expired = await draft({ expiresAt: NOW });
      await db().insert(optOuts).values({ username: "alice" });
      const decided = await draft({ status: "rejected" });
      const all = await db().select({ reply: replies, post: posts }).from(replies).innerJoin(posts, eq(posts.tweetId, replies.postTweetId));
      expect(await findSkips(deps(), all, NOW, { kind: "reject", readX: true })).toEqual(
        new Map([
          [expired.id, "expired"],
          [decided.id, "already_decided"],
        ]),
      );
      expect(x.lookups).toEqual([]);
    });

    it("reads X through the first active account only when asked to, and skips nothing when X cannot be read", async () => {
      const gone = await draft({ hidden: true });
      const seen = await draft();
      expect(await findSkips(deps(), await withPosts(), NOW, { kind: "approve", readX: false })).toEqual(new Map());
      expect(x.lookups).toEqual([]);

      await accounts.setStatus(ids.a, "failed", "401", { quiet: true });
      await db().update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.id, ids.c));
      // Rewrite b's row last, so the rows are not read with the one active account first.
      await db().update(xAccounts).set({ username: "bea" }).where(eq(xAccounts.id, ids.b));
      const lookedUp: number[] = [];
      for (const account of accounts.all()) {
        const original = account.client.lookupPosts.bind(account.client);
        vi.spyOn(account.client, "lookupPosts").mockImplementation((postIds) => {
          lookedUp.push(account.id);
          return original(postIds);
        });
      }
      expect(await findSkips(deps(), await withPosts(), NOW, { kind: "approve", readX: true })).toEqual(new Map([[gone.id, "post_deleted"]]));
      expect(lookedUp).toEqual([ids.b]);
      expect(x.lookups).toEqual([[gone.postTweetId, seen.postTweetId]]);

      x.lookupError = new Error("X is down");
      expect(await findSkips(deps(), await withPosts(), NOW, { kind: "approve", readX: true })).toEqual(new Map());
    });

    it("asks X nothing for no drafts, or when no account is active", async () => {
      expect(await findSkips(deps(), [], NOW, { kind: "approve", readX: true })).toEqual(new Map());
      expect(x.lookups).toEqual([]);
      await draft({ hidden: true });
      for (const id of [ids.a, ids.b, ids.c]) await accounts.setStatus(id, "failed", "401", { quiet: true });
      expect(await findSkips(deps(), await withPosts(), NOW, { kind: "approve", readX: true })).toEqual(new Map());
      expect(x.lookups).toEqual([]);
    });
  });

  describe("tallyBatch", () => {
    it("counts each item by outcome, account and reason, in outcome order, then account, then count", async () => {
      const { id: batchId } = await batch("running");
      await accounts.setStatus(ids.c, "failed", "401", { quiet: true });
      const rows: [Awaited<ReturnType<typeof draft>>, BatchItemState, string | null][] = [
        [await draft({ status: "published", account: ids.b }), "approved", null],
        [await draft({ status: "published", account: ids.a }), "approved", null],
        [await draft({ status: "published", account: ids.a }), "approved", null],
        [await draft({ status: "published", account: ids.c }), "approved", null],
        [await draft({ status: "failed", account: ids.a, failureReason: "403 not summoned" }), "approved", null],
        [await draft({ status: "approved" }), "approved", null],
        // Waiting for a retry: the earlier failure is not its reason now.
        [await draft({ status: "approved", failureReason: "X answered 503" }), "approved", null],
        [await draft({ status: "approved", bound: ids.c }), "approved", null],
        [await draft({ status: "approved", account: ids.b, needsReconcile: true }), "approved", null],
        [await draft({ status: "approved", account: ids.b }), "approved", null],
        [await draft({ status: "publishing", account: ids.c }), "approved", null],
        [await draft({ status: "rejected" }), "approved", null],
        [await draft({ status: "awaiting_approval" }), "approved", null],
        [await draft({ status: "expired" }), "approved", null],
        [await draft({ bound: ids.a }), "selected", null],
        [await draft(), "skipped", "draft_too_long"],
        [await draft(), "skipped", "draft_too_long"],
        [await draft(), "skipped", "opted_out"],
        [await draft(), "skipped", "something_new"],
        [await draft({ bound: ids.c }), "cancelled", null],
        [await draft({ bound: ids.a }), "cancelled", null],
        [await draft(), "cancelled", null],
        [await draft({ status: "rejected" }), "rejected", null],
      ];
      for (const [reply, state, reason] of rows) await item(batchId, reply.id, state, reason);

      const tally = await tallyBatch(db(), batchId);
      expect(tally.total).toBe(rows.length);
      expect(tally.lines).toEqual([
        { outcome: "published", account: "@ann", reason: null, count: 2 },
        { outcome: "published", account: "@bea", reason: null, count: 1 },
        { outcome: "published", account: "c", reason: null, count: 1 },
        { outcome: "failed", account: "@ann", reason: "403 not summoned", count: 1 },
        { outcome: "waiting", account: "@ann", reason: null, count: 1 },
        { outcome: "waiting", account: "@bea", reason: null, count: 1 },
        { outcome: "waiting", account: "c", reason: "account failed", count: 2 },
        { outcome: "waiting", account: "pool", reason: null, count: 3 },
        { outcome: "skipped", account: "pool", reason: "draft too long", count: 2 },
        { outcome: "skipped", account: "pool", reason: "author opted out", count: 1 },
        { outcome: "skipped", account: "pool", reason: "something_new", count: 1 },
        { outcome: "cancelled", account: "@ann", reason: null, count: 1 },
        { outcome: "cancelled", account: "c", reason: "account failed", count: 1 },
        { outcome: "cancelled", account: "pool", reason: null, count: 3 },
        { outcome: "rejected", account: "pool", reason: null, count: 2 },
      ]);
      expect([countOf(tally, "published"), countOf(tally, "waiting"), countOf(tally, "skipped"), countOf(tally, "failed")]).toEqual([4, 7, 4, 1]);
    });

    it("names an account without a username by its label, and orders lines of one account by count", async () => {
      const { id: batchId } = await batch("running");
      await db().update(xAccounts).set({ username: null }).where(eq(xAccounts.id, ids.a));
      const once = await draft({ status: "failed", account: ids.a, failureReason: "a" });
      await item(batchId, once.id, "approved");
      for (let n = 0; n < 2; n++) await item(batchId, (await draft({ status: "failed", account: ids.a, failureReason: "b" })).id, "approved");
      const tally = await tallyBatch(db(), batchId);
      expect(tally.lines.filter((line) => line.outcome === "failed")).toEqual([
        { outcome: "failed", account: "a", reason: "b", count: 2 },
        { outcome: "failed", account: "a", reason: "a", count: 1 },
      ]);
      expect(await tallyBatch(db(), batchId + 1000)).toEqual({ total: 0, lines: [] });
    });
  });

  describe("the plan", () => {
    const row = (id: number, status: XAccountRow["status"], username: string | null, label: string) => ({ id, status, username, label }) as XAccountRow;
    const going = (bound: (number | null)[]) =>
      bound.map((boundAccountId, index) => ({ reply: { id: index + 1, boundAccountId }, post: {} }) as unknown as DraftWithPost);
    const settings = { ...WORKFLOW_TEST_DEFAULTS, gapSeconds: { min: 60, max: 60 } };

    it("names an account by @username, else by its label", () => {
      expect(accountName({ username: "ann", label: "a" })).toBe("@ann");
      expect(accountName({ username: null, label: "a" })).toBe("a");
    });

    it("counts bound replies by account and spreads free ones over the active accounts, least loaded first", () => {
      const rows = [row(1, "active", "ann", "a"), row(2, "active", null, "b"), row(3, "failed", "cid", "c")];
      const plan = describePlan({
        batchId: 9,
        kind: "approve",
        going: going([1, 1, null, null, null, null, 3, 7]),
        skipped: [{ replyId: 40, reason: "expired" }],
        rows,
        strategy: "least_loaded",
        settings,
        timeZone: "UTC",
        now: NOW,
      });
      expect(plan).toEqual({
        batchId: 9,
        kind: "approve",
        count: 8,
        skipped: [{ replyId: 40, reason: "expired" }],
        bound: [
          { account: "@ann", count: 2 },
          { account: "@cid", count: 1 },
          { account: "#7", count: 1 },
        ],
        free: { count: 4, strategy: "least_loaded", accounts: ["@ann", "b"] },
        // a: 2 bound + 1 free, b: 3 free; the last of three posts comes two gaps after the first.
        window: { earliest: NOW, latest: new Date(NOW.getTime() + 2 * 60_000) },
      });
    });

    it("spreads free replies over accounts already holding bound ones; none when no account is active; no window for a rejection", () => {
      const base = { batchId: 1, kind: "approve" as const, skipped: [], strategy: "round_robin" as const, settings, timeZone: "UTC", now: NOW };
      const tie = describePlan({ ...base, going: going([2, null, null, null]), rows: [row(1, "active", "ann", "a"), row(2, "active", "bea", "b")] });
      expect(tie.window).toEqual({ earliest: NOW, latest: new Date(NOW.getTime() + 60_000) });
      const none = describePlan({ ...base, going: going([null, null]), rows: [row(1, "disabled", "ann", "a")] });
      expect(none).toMatchObject({ count: 2, free: { count: 2, accounts: [] }, window: undefined });
      const reject = describePlan({ ...base, kind: "reject", going: going([null]), rows: [row(1, "active", "ann", "a")] });
      expect(reject.window).toBeUndefined();
    });

    it("reads the drafts awaiting approval, or those of one batch whatever their status, in id order", async () => {
      const first = await draft();
      await draft({ status: "approved" });
      const third = await draft();
      expect((await draftsWithPosts(db())).map(({ reply, post }) => [reply.id, post.tweetId])).toEqual([
        [first.id, first.postTweetId],
        [third.id, third.postTweetId],
      ]);
      const { id: batchId } = await batch("running");
      const decided = await draft({ status: "published" });
      await item(batchId, decided.id, "approved");
      await item(batchId, first.id, "selected");
      expect((await draftsWithPosts(db(), batchId)).map(({ reply }) => reply.id)).toEqual([first.id, decided.id]);
    });
  });

  describe("progress", () => {
    const emptyTally: BatchTally = { total: 0, lines: [] };

    it("shows a batch's row with the tally given, or the stored summary once done", async () => {
      const summary: BatchTally = { total: 1, lines: [{ outcome: "published", account: "@ann", reason: null, count: 1 }] };
      const live: BatchTally = { total: 2, lines: [] };
      const running = await batch("running", { startedAt: NOW, summary });
      expect(batchView(running, live)).toEqual({ id: running.id, kind: "approve", status: "running", cancelled: false, startedAt: NOW, finishedAt: null, tally: live });
      const done = await batch("done", { cancelledAt: NOW, finishedAt: NOW, summary });
      expect(batchView(done, live)).toMatchObject({ status: "done", cancelled: true, finishedAt: NOW, tally: summary });
      const bare = await batch("done");
      expect(batchView(bare, live).tally).toBe(live);
    });

    it("finishes a running batch with nothing waiting once, and edits its message only when it has one", async () => {
      const shown: BatchView[] = [];
      const progress = createBatchProgress({
        db: db(),
        logger: silentLogger(),
        now: () => NOW,
        editIntervalMs: 0,
        sink: { show: (_chat, _message, view) => Promise.resolve(void shown.push(view)) },
      });
      const silent = await batch("running");
      const waiting = await batch("running", { chatId: -1, messageId: 5 });
      await item(waiting.id, (await draft({ status: "approved" })).id, "approved");
      const finished = await batch("running", { chatId: -1, messageId: 6 });
      await item(finished.id, (await draft({ status: "published", account: ids.a })).id, "approved");
      const planned = await batch("planned", { chatId: -1, messageId: 7 });

      await progress.refresh();
      expect(shown.map((view) => [view.id, view.status]).sort((p, q) => Number(p[0]) - Number(q[0]))).toEqual([
        [waiting.id, "running"],
        [finished.id, "done"],
      ]);
      const stored = new Map((await db().select().from(approvalBatches)).map((row) => [row.id, row]));
      expect(stored.get(silent.id)).toMatchObject({ status: "done", finishedAt: NOW, summary: emptyTally });
      expect(stored.get(finished.id)).toMatchObject({ status: "done", finishedAt: NOW, progressEditedAt: NOW });
      expect(stored.get(finished.id)!.summary).toEqual({ total: 1, lines: [{ outcome: "published", account: "@ann", reason: null, count: 1 }] });
      expect(stored.get(waiting.id)).toMatchObject({ status: "running", finishedAt: null });
      expect(stored.get(planned.id)).toMatchObject({ status: "planned", progressEditedAt: null });
    });

    it("holds an edit back for the rest of the interval, then makes it once; a refused edit is logged", async () => {
      let clock = NOW;
      const shown: number[] = [];
      let refuse = false;
      const { logger, lines } = capturingLogger();
      const progress = createBatchProgress({
        db: db(),
        logger,
        now: () => clock,
        editIntervalMs: 3_000,
        sink: {
          show: (_chat, _message, view) => {
            if (refuse) return Promise.reject(new Error("message to edit not found"));
            shown.push(view.id);
            return Promise.resolve();
          },
        },
      });
      try {
        const running = await batch("running", { chatId: -1, messageId: 5 });
        await item(running.id, (await draft({ status: "approved" })).id, "approved");
        await progress.refresh();
        expect(shown).toEqual([running.id]);
        // 2.8 s after the edit: held back, and made 0.2 s later (real time), once however often it was asked for.
        clock = new Date(NOW.getTime() + 2_800);
        await progress.refresh();
        await progress.refresh();
        expect(shown).toEqual([running.id]);
        clock = new Date(NOW.getTime() + 3_000);
        await vi.waitFor(() => expect(shown).toEqual([running.id, running.id]), { timeout: 5_000 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(shown).toEqual([running.id, running.id]);
        const [row] = await db().select().from(approvalBatches).where(eq(approvalBatches.id, running.id));
        expect(row!.progressEditedAt).toEqual(clock);

        refuse = true;
        clock = new Date(NOW.getTime() + 6_000);
        await progress.refresh();
        expect(lines.some((line) => line.includes("batch progress message not edited"))).toBe(true);
      } finally {
        progress.stop();
      }
    });

    it("folds pokes into one refresh, waiting out the interval since the last one; stop cancels what is scheduled", async () => {
      let clock = NOW;
      const shown: number[] = [];
      const progress = createBatchProgress({
        db: db(),
        logger: silentLogger(),
        now: () => clock,
        editIntervalMs: 0,
        sink: { show: (_chat, _message, view) => Promise.resolve(void shown.push(view.id)) },
      });
      const running = await batch("running", { chatId: -1, messageId: 5 });
      await item(running.id, (await draft({ status: "approved" })).id, "approved");
      try {
        progress.poke();
        progress.poke();
        await vi.waitFor(() => expect(shown).toEqual([running.id]), { timeout: 5_000 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(shown).toEqual([running.id]);
      } finally {
        progress.stop();
      }
      progress.poke();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(shown).toEqual([running.id]);

      const paced = createBatchProgress({
        db: db(),
        logger: silentLogger(),
        now: () => clock,
        editIntervalMs: 1_000,
        sink: { show: (_chat, _message, view) => Promise.resolve(void shown.push(view.id)) },
      });
      try {
        clock = new Date(NOW.getTime() + 5_000);
        await paced.refresh();
        expect(shown).toHaveLength(2);
        // The last pass was 0.5 s ago (by the clock): the poke waits the other 0.5 s.
        clock = new Date(NOW.getTime() + 5_500);
        const poked = Date.now();
        paced.poke();
        clock = new Date(NOW.getTime() + 7_000);
        await vi.waitFor(() => expect(shown).toHaveLength(3), { timeout: 5_000 });
        expect(Date.now() - poked).toBeGreaterThanOrEqual(450);
      } finally {
        paced.stop();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      paced.stop();
      expect(PROGRESS_EDIT_INTERVAL_MS).toBe(3_000);
    });
  });

  describe("progress edits over time", () => {
    /** A progress keeper on a clock the test moves; `shown` lists each edit as [batch, status]. */
    function keeper(editIntervalMs: number, slowEdit?: (clock: { at: Date }) => void) {
      const clock = { at: NOW };
      const shown: [number, string][] = [];
      const progress = createBatchProgress({
        db: db(),
        logger: silentLogger(),
        now: () => clock.at,
        editIntervalMs,
        sink: {
          show: (_chat, _message, view) => {
            shown.push([view.id, view.status]);
            slowEdit?.(clock);
            return Promise.resolve();
          },
        },
      });
      const at = (ms: number) => (clock.at = new Date(NOW.getTime() + ms));
      return { progress, shown, clock, at };
    }

    async function runningWithWaiting() {
      const running = await batch("running", { chatId: -1, messageId: 5 });
      const reply = await draft({ status: "approved" });
      await item(running.id, reply.id, "approved");
      return { running, reply };
    }

    it("a held-back edit waits out what is left of the interval by the clock, each time", async () => {
      // A long interval: an edit made a whole interval later (or at once) is told apart from the rest of it.
      const { progress, shown, at } = keeper(60_000);
      const { running } = await runningWithWaiting();
      try {
        await progress.refresh();
        expect(shown).toHaveLength(1);
        for (const round of [1, 2]) {
          at(round * 60_000 - 1_000);
          await progress.refresh();
          expect(shown).toHaveLength(round);
          const heldAt = Date.now();
          at(round * 60_000);
          await vi.waitFor(() => expect(shown).toHaveLength(round + 1), { timeout: 10_000 });
          // Real timers never fire early: the edit came no sooner than the second left by the clock.
          expect(Date.now() - heldAt).toBeGreaterThanOrEqual(900);
        }
        expect(shown).toEqual([
          [running.id, "running"],
          [running.id, "running"],
          [running.id, "running"],
        ]);
      } finally {
        progress.stop();
      }
    });

    it("stop cancels an edit held back for later", async () => {
      const { progress, shown, at } = keeper(1_000);
      await runningWithWaiting();
      await progress.refresh();
      at(800);
      await progress.refresh();
      progress.stop();
      at(5_000);
      // It was due 0.2 s after the hold; give a late timer and its database reads time to show it, were it kept.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(shown).toHaveLength(1);
    });

    it("stop cancels a poke still waiting out the interval", async () => {
      const { progress, shown, at } = keeper(1_000);
      await runningWithWaiting();
      await progress.refresh();
      at(200);
      progress.poke();
      progress.stop();
      at(5_000);
      // The poke was due 0.8 s after it was made; give a late timer and its database reads time to show it, were it kept.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(shown).toHaveLength(1);
    });

    it("counts the interval from the end of a slow edit", async () => {
      // The edit takes 2 s by the clock: the next one is due 3 s after it ended, not after it started.
      const { progress, shown } = keeper(3_000, (clock) => (clock.at = new Date(clock.at.getTime() + 2_000)));
      const { running } = await runningWithWaiting();
      try {
        await progress.refresh();
        expect(shown).toHaveLength(1);
        const [row] = await db().select().from(approvalBatches).where(eq(approvalBatches.id, running.id));
        expect(row!.progressEditedAt).toEqual(new Date(NOW.getTime() + 2_000));
      } finally {
        progress.stop();
      }
    });

    it("a refresh asked for while one runs makes one more pass after it, which shows what changed meanwhile", async () => {
      let release: () => void = () => undefined;
      const shown: [number, string][] = [];
      let first = true;
      const progress = createBatchProgress({
        db: db(),
        logger: silentLogger(),
        now: () => NOW,
        editIntervalMs: 0,
        sink: {
          show: (_chat, _message, view) => {
            shown.push([view.id, view.status]);
            if (!first) return Promise.resolve();
            first = false;
            return new Promise<void>((resolve) => (release = resolve));
          },
        },
      });
      const { running, reply } = await runningWithWaiting();
      try {
        const pass = progress.refresh();
        await vi.waitFor(() => expect(shown).toHaveLength(1));
        // Published while the first edit is under way.
        await db().update(replies).set({ status: "published", accountId: ids.a }).where(eq(replies.id, reply.id));
        const again = progress.refresh();
        release();
        await Promise.all([pass, again]);
        expect(shown).toEqual([
          [running.id, "running"],
          [running.id, "done"],
        ]);
      } finally {
        progress.stop();
      }
    });

    it("finishes a batch that has a chat but no message (or a message but no chat) without editing anything", async () => {
      const { progress, shown } = keeper(0);
      const chatOnly = await batch("running", { chatId: -1 });
      const messageOnly = await batch("running", { messageId: 5 });
      try {
        await progress.refresh();
        expect(shown).toEqual([]);
        const stored = await db().select().from(approvalBatches);
        expect(stored.map((row) => [row.id, row.status]).sort((p, q) => Number(p[0]) - Number(q[0]))).toEqual([
          [chatOnly.id, "done"],
          [messageOnly.id, "done"],
        ]);
      } finally {
        progress.stop();
      }
    });

    it("a poke after one that fired is answered again", async () => {
      const { progress, shown, at } = keeper(0);
      await runningWithWaiting();
      try {
        progress.poke();
        await vi.waitFor(() => expect(shown).toHaveLength(1));
        at(1);
        progress.poke();
        await vi.waitFor(() => expect(shown).toHaveLength(2));
      } finally {
        progress.stop();
      }
    });
  });

  describe("batch moves", () => {
    function build(extra: Partial<BulkDeps> = {}) {
      const calls: string[] = [];
      const bulk = createBulkApproval({
        db: db(),
        accounts,
        settings: new SettingsStore(db(), { ...WORKFLOW_TEST_DEFAULTS, minDelayMinutes: 5, maxDelayMinutes: 5 }),
        progress: { refresh: () => Promise.resolve(void calls.push("refresh")), poke: () => undefined, stop: () => undefined },
        strategy: "round_robin",
        timeZone: "UTC",
        now: () => NOW,
        random: () => 0,
        wakePublisher: () => void calls.push("wake"),
        redrawCards: () => void calls.push("redraw"),
        ...extra,
      });
      return { bulk, calls };
    }

    it("refuses a move the batch's status does not allow, saying why", async () => {
      const { bulk } = build();
      const selecting = await batch("selecting");
      const planned = await batch("planned");
      const running = await batch("running");
      const cancelled = await batch("running", { cancelledAt: NOW });
      const done = await batch("done");
      const dropped = await batch("dropped");
      const refused = (message: string) => ({ ok: false, message });
      expect(await bulk.confirm(selecting.id, ADMIN, { chatId: 1, messageId: 2 })).toEqual(refused("This selection was not confirmed yet."));
      expect(await bulk.cancel(planned.id)).toEqual(refused("This batch was not confirmed yet."));
      expect(await bulk.dismiss(running.id)).toEqual(refused("This batch is already running."));
      expect(await bulk.cancel(cancelled.id)).toEqual(refused("Already cancelled: the replies being published finish."));
      expect(await bulk.prepareSelection(done.id)).toEqual(refused("This batch is already done."));
      expect(await bulk.confirm(dropped.id, ADMIN, { chatId: 1, messageId: 2 })).toEqual(refused("This batch was cancelled; nothing changed."));
      expect(await bulk.cancel(dropped.id + 100)).toEqual(refused("This batch no longer exists."));
      expect(await bulk.view(dropped.id + 100)).toBeUndefined();
    });

    it("dismisses a planned batch or a selection, nothing else changing", async () => {
      const { bulk } = build();
      const reply = await draft();
      const planned = await bulk.prepareAll("approve", ADMIN);
      const selection = await bulk.selection.start(ADMIN);
      expect(await bulk.dismiss(planned.batchId)).toEqual({ ok: true });
      expect(await bulk.dismiss(selection)).toEqual({ ok: true });
      expect(await bulk.dismiss(selection)).toEqual({ ok: false, message: "This batch was cancelled; nothing changed." });
      const rows = await db().select().from(approvalBatches);
      expect(rows.map((row) => [row.status, row.finishedAt])).toEqual([
        ["dropped", NOW],
        ["dropped", NOW],
      ]);
      expect((await db().select().from(replies).where(eq(replies.id, reply.id)))[0]!.status).toBe("awaiting_approval");
    });

    it("plans nothing for an empty queue, and stores each skip on its item at planning", async () => {
      const { bulk } = build();
      const empty = await bulk.prepareAll("approve", ADMIN);
      expect(empty).toMatchObject({ count: 0, skipped: [], bound: [], window: undefined });
      expect(await db().select().from(approvalBatchItems)).toEqual([]);

      const fine = await draft();
      const gone = await draft({ hidden: true });
      const plan = await bulk.prepareAll("approve", ADMIN);
      expect(plan).toMatchObject({ count: 1, skipped: [{ replyId: gone.id, reason: "post_deleted" }], free: { count: 1 } });
      expect(plan.window).toEqual({ earliest: new Date(NOW.getTime() + 5 * 60_000), latest: new Date(NOW.getTime() + 5 * 60_000) });
      const items = await db().select().from(approvalBatchItems).where(eq(approvalBatchItems.batchId, plan.batchId));
      expect(new Map(items.map((row) => [row.replyId, [row.state, row.reason]]))).toEqual(
        new Map([
          [fine.id, ["selected", null]],
          [gone.id, ["skipped", "post_deleted"]],
        ]),
      );
      expect((await db().select().from(approvalBatches).where(eq(approvalBatches.id, plan.batchId)))[0]).toMatchObject({ status: "planned", kind: "approve", createdBy: ADMIN });
    });

    it("confirms once: approves with the schedule, skips a draft that expired meanwhile, wakes the publisher, redraws", async () => {
      const { bulk, calls } = build();
      const fine = await draft();
      const late = await draft({ expiresAt: new Date(NOW.getTime() + 1) });
      const edited = await draft();
      const plan = await bulk.prepareAll("approve", ADMIN);
      // Edited after the confirmation was shown: the version it covered is gone.
      await db().update(replies).set({ version: 2 }).where(eq(replies.id, edited.id));
      const later = new Date(NOW.getTime() + 1);
      const { bulk: atConfirm, calls: atConfirmCalls } = build({ now: () => later });
      expect(await atConfirm.confirm(plan.batchId, ADMIN, { chatId: -5, messageId: 9 })).toEqual({ ok: true, decided: 1, skipped: 2 });
      const [row] = await db().select().from(approvalBatches).where(eq(approvalBatches.id, plan.batchId));
      expect(row).toMatchObject({ status: "running", startedAt: later, chatId: -5, messageId: 9 });
      const stored = new Map((await db().select().from(replies)).map((reply) => [reply.id, reply]));
      expect(stored.get(fine.id)).toMatchObject({ status: "approved", decidedBy: ADMIN, decidedAt: later, scheduledAt: new Date(later.getTime() + 5 * 60_000) });
      expect([stored.get(late.id)!.status, stored.get(edited.id)!.status]).toEqual(["awaiting_approval", "awaiting_approval"]);
      const items = await db().select().from(approvalBatchItems).where(eq(approvalBatchItems.batchId, plan.batchId));
      expect(new Map(items.map((entry) => [entry.replyId, [entry.state, entry.reason]]))).toEqual(
        new Map([
          [fine.id, ["approved", null]],
          [late.id, ["skipped", "expired"]],
          [edited.id, ["skipped", "already_decided"]],
        ]),
      );
      expect([calls, atConfirmCalls]).toEqual([[], ["wake", "redraw", "refresh"]]);
      const view = await bulk.view(plan.batchId);
      expect(view).toMatchObject({ id: plan.batchId, status: "running", tally: { total: 3 } });
    });

    it("reports the publisher woken and the cards redrawn only when a confirmation approved something", async () => {
      const { bulk, calls } = build();
      await draft();
      const approve = await bulk.prepareAll("approve", ADMIN);
      await bulk.confirm(approve.batchId, ADMIN, { chatId: -5, messageId: 9 });
      expect(calls).toEqual(["wake", "redraw", "refresh"]);

      calls.length = 0;
      const nothing = await bulk.prepareAll("approve", ADMIN);
      expect(await bulk.confirm(nothing.batchId, ADMIN, { chatId: -5, messageId: 10 })).toEqual({ ok: true, decided: 0, skipped: 0 });
      expect(calls).toEqual(["redraw", "refresh"]);
    });

    it("a rejection records who rejected each draft and wakes no publisher; a draft decided meanwhile is skipped", async () => {
      const { bulk, calls } = build();
      const first = await draft();
      const second = await draft();
      const plan = await bulk.prepareAll("reject", ADMIN);
      await db().update(replies).set({ status: "approved" }).where(eq(replies.id, second.id));
      expect(await bulk.confirm(plan.batchId, ADMIN, { chatId: -5, messageId: 9 })).toEqual({ ok: true, decided: 1, skipped: 1 });
      expect(calls).toEqual(["redraw", "refresh"]);
      expect((await db().select().from(replies).where(eq(replies.id, first.id)))[0]!.status).toBe("rejected");
      const events = await db().select().from(workflowEvents).where(eq(workflowEvents.kind, "rejected"));
      expect(events.map((event) => [event.replyId, event.actor])).toEqual([[first.id, ADMIN]]);
      const items = await db().select().from(approvalBatchItems).where(eq(approvalBatchItems.batchId, plan.batchId));
      expect(new Map(items.map((entry) => [entry.replyId, [entry.state, entry.reason]]))).toEqual(
        new Map([
          [first.id, ["rejected", null]],
          [second.id, ["skipped", "already_decided"]],
        ]),
      );
    });

    it("cancel puts back what no attempt holds, marks those items cancelled, redraws; a batch with none moves nothing", async () => {
      const { bulk, calls } = build();
      const waiting = await draft();
      const claimed = await draft();
      const plan = await bulk.prepareAll("approve", ADMIN);
      await bulk.confirm(plan.batchId, ADMIN, { chatId: -5, messageId: 9 });
      await db().update(replies).set({ status: "publishing", accountId: ids.a }).where(eq(replies.id, claimed.id));
      calls.length = 0;
      expect(await bulk.cancel(plan.batchId)).toEqual({ ok: true, unapproved: 1 });
      expect(calls).toEqual(["redraw", "refresh"]);
      const items = await db().select().from(approvalBatchItems).where(eq(approvalBatchItems.batchId, plan.batchId));
      expect(new Map(items.map((entry) => [entry.replyId, entry.state]))).toEqual(
        new Map([
          [waiting.id, "cancelled"],
          [claimed.id, "approved"],
        ]),
      );
      expect((await db().select().from(approvalBatches).where(eq(approvalBatches.id, plan.batchId)))[0]!.cancelledAt).toEqual(NOW);

      const empty = await batch("running");
      expect(await bulk.cancel(empty.id)).toEqual({ ok: true, unapproved: 0 });
    });

    it("lists the latest finished batches, newest first, with their stored summaries", async () => {
      const { bulk } = build();
      const summary: BatchTally = { total: 3, lines: [{ outcome: "published", account: "@ann", reason: null, count: 3 }] };
      const old = await batch("done", { summary });
      await batch("running");
      const middle = await batch("done", { summary });
      const newest = await batch("done", { summary });
      await batch("dropped");
      const recent = await bulk.recent(2);
      expect(recent.map((view) => view.id)).toEqual([newest.id, middle.id]);
      expect(recent[0]!.tally).toEqual(summary);
      expect((await bulk.recent(10)).map((view) => view.id)).toEqual([newest.id, middle.id, old.id]);
    });

    it("checks each draft again at confirmation: an author who opted out after the plan is left out, and nothing is marked rejected", async () => {
      const { bulk } = build();
      const fine = await draft({ author: "carol" });
      const optedOut = await draft({ author: "dave" });
      const plan = await bulk.prepareAll("approve", ADMIN);
      await db().insert(optOuts).values({ username: "dave" });
      expect(await bulk.confirm(plan.batchId, ADMIN, { chatId: -5, messageId: 9 })).toEqual({ ok: true, decided: 1, skipped: 1 });
      const items = await db().select().from(approvalBatchItems).where(eq(approvalBatchItems.batchId, plan.batchId));
      expect(new Map(items.map((entry) => [entry.replyId, [entry.state, entry.reason]]))).toEqual(
        new Map([
          [fine.id, ["approved", null]],
          [optedOut.id, ["skipped", "opted_out"]],
        ]),
      );
      expect(await db().select().from(workflowEvents).where(eq(workflowEvents.kind, "rejected"))).toEqual([]);
    });

    it("runs without a clock, a publisher to wake or cards to redraw: it uses the current time", async () => {
      const { bulk } = build({ now: undefined, wakePublisher: undefined, redrawCards: undefined });
      const reply = await draft({ expiresAt: new Date(Date.now() + HOUR) });
      const before = Date.now();
      const plan = await bulk.prepareAll("approve", ADMIN);
      expect(await bulk.confirm(plan.batchId, ADMIN, { chatId: -5, messageId: 9 })).toEqual({ ok: true, decided: 1, skipped: 0 });
      const [stored] = await db().select().from(replies).where(eq(replies.id, reply.id));
      expect(stored!.decidedAt!.getTime()).toBeGreaterThanOrEqual(before);
      expect(stored!.decidedAt!.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it("a finished batch without a stored summary is listed with an empty tally", async () => {
      const { bulk } = build();
      const bare = await batch("done");
      expect(await bulk.recent(5)).toEqual([
        { id: bare.id, kind: "approve", status: "done", cancelled: false, startedAt: null, finishedAt: null, tally: { total: 0, lines: [] } },
      ]);
    });

    it("plans a selection once: only the drafts toggled go, checked then; the selection cannot be planned again", async () => {
      const { bulk } = build();
      const chosen = await draft();
      const alsoChosen = await draft();
      const gone = await draft({ hidden: true });
      await draft();
      const selection = await bulk.selection.start(ADMIN);
      for (const reply of [chosen, alsoChosen, gone]) await bulk.selection.toggle(selection, reply.id);
      const prepared = await bulk.prepareSelection(selection);
      expect(prepared).toMatchObject({ ok: true, plan: { batchId: selection, kind: "approve", count: 2, skipped: [{ replyId: gone.id, reason: "post_deleted" }] } });
      expect((await db().select().from(approvalBatches).where(eq(approvalBatches.id, selection)))[0]!.status).toBe("planned");
      expect(await bulk.prepareSelection(selection)).toEqual({ ok: false, message: "This batch was not confirmed yet." });
    });

    it("confirms only what its plan let through, without asking X again: a post gone since the plan is still approved", async () => {
      const { bulk } = build();
      const fine = await draft();
      const gone = await draft({ hidden: true });
      const plan = await bulk.prepareAll("approve", ADMIN);
      const lookupsAtPlan = x.lookups.length;
      // Deleted on X after the confirmation was shown: the publisher meets it, the confirmation does not look.
      x.visible.delete(fine.postTweetId);
      expect(await bulk.confirm(plan.batchId, ADMIN, { chatId: -5, messageId: 9 })).toEqual({ ok: true, decided: 1, skipped: 0 });
      expect(x.lookups).toHaveLength(lookupsAtPlan);
      const stored = new Map((await db().select().from(replies)).map((reply) => [reply.id, reply.status]));
      expect([stored.get(fine.id), stored.get(gone.id)]).toEqual(["approved", "awaiting_approval"]);
      const items = await db().select().from(approvalBatchItems).where(eq(approvalBatchItems.batchId, plan.batchId));
      expect(new Map(items.map((entry) => [entry.replyId, [entry.state, entry.reason]]))).toEqual(
        new Map([
          [fine.id, ["approved", null]],
          [gone.id, ["skipped", "post_deleted"]],
        ]),
      );
    });
  });
});
