/**
 * What /queue reads: the open replies (awaiting approval, approved, publishing) counted by status and listed page by
 * page, by status, then due time, then id, each with its author and the account it goes out from.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { posts, replies, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { queueCounts } from "../../src/workflow/queue-counts.js";
import { createQueueView } from "../../src/workflow/queue-view.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const MINUTE = 60_000;

describe.each(databaseTargets())("the open replies as /queue reads them ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let seq = 0;
  let home: number;

  beforeEach(async () => {
    home = await account({ label: "home" });
  });

  async function account(values: Partial<typeof xAccounts.$inferInsert> = {}) {
    const [row] = await db().insert(xAccounts).values({ label: "main", ...values }).returning();
    return row!.id;
  }

  async function post(values: Partial<typeof posts.$inferInsert> = {}) {
    seq++;
    const tweetId = `66${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: `author-${seq}`, authorUsername: "alice", text: "hi", source: "mention", sourceDetail: "m", accountId: home, answerable: true, state: "drafted", ...values });
    return tweetId;
  }

  async function reply(status: ReplyStatus, values: Partial<typeof replies.$inferInsert> = {}, postValues: Partial<typeof posts.$inferInsert> = {}) {
    const postTweetId = await post(postValues);
    const [row] = await db()
      .insert(replies)
      .values({ postTweetId, status, draft: `draft ${seq}`, weightedLength: 8, expiresAt: new Date(NOW.getTime() + 60 * MINUTE), ...values })
      .returning();
    return row!.id;
  }

  it("counts the open replies by status, at zero for a status with none, and leaves closed ones out", async () => {
    expect(await queueCounts(db())).toEqual({ awaiting_approval: 0, approved: 0, publishing: 0 });
    await reply("awaiting_approval");
    await reply("awaiting_approval");
    await reply("approved", { scheduledAt: NOW });
    await reply("rejected");
    await reply("published");
    expect(await queueCounts(db())).toEqual({ awaiting_approval: 2, approved: 1, publishing: 0 });
  });

  it("shows an empty queue as one empty page", async () => {
    expect(await createQueueView(db()).page(3, 5)).toEqual({ total: 0, awaiting: 0, unanswerable: 0, page: 0, pages: 1, entries: [] });
  });

  it("lists by status, then due time, then id, and counts the drafts and the unanswerable posts", async () => {
    const late = await reply("approved", { scheduledAt: new Date(NOW.getTime() + 10 * MINUTE) });
    const early = await reply("approved", { scheduledAt: new Date(NOW.getTime() + MINUTE) });
    const sameTime = await reply("approved", { scheduledAt: new Date(NOW.getTime() + MINUTE) });
    const publishing = await reply("publishing", { scheduledAt: NOW });
    const draft = await reply("awaiting_approval");
    await reply("failed");
    await post({ state: "skipped", skipReason: "not_summoned" });
    await post({ state: "skipped", skipReason: "not_summoned" });
    await post({ state: "skipped", skipReason: "opted_out" });
    await post({ state: "drafted", skipReason: "not_summoned" });

    const page = await createQueueView(db()).page(0, 10);
    expect(page).toMatchObject({ total: 5, awaiting: 1, unanswerable: 2, page: 0, pages: 1 });
    expect(page.entries.map((entry) => entry.replyId)).toEqual([early, sameTime, late, draft, publishing]);
    expect(page.entries[0]).toEqual({
      replyId: early,
      status: "approved",
      scheduledAt: new Date(NOW.getTime() + MINUTE),
      draft: expect.stringMatching(/^draft \d+$/),
      author: "@alice",
      account: undefined,
    });
  });

  it("pages the list, clamping a page before the first or past the last", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await reply("awaiting_approval"));
    const view = createQueueView(db());
    const second = await view.page(1, 2);
    expect(second).toMatchObject({ total: 5, awaiting: 5, page: 1, pages: 3 });
    expect(second.entries.map((entry) => entry.replyId)).toEqual(ids.slice(2, 4));
    const past = await view.page(7, 2);
    expect(past).toMatchObject({ page: 2, pages: 3 });
    expect(past.entries.map((entry) => entry.replyId)).toEqual(ids.slice(4));
    const before = await view.page(-1, 2);
    expect(before).toMatchObject({ page: 0, pages: 3 });
    expect(before.entries.map((entry) => entry.replyId)).toEqual(ids.slice(0, 2));
    expect((await view.page(0, 5)).pages).toBe(1);
  });

  it("names the author by @username or id, and the account a reply goes out from", async () => {
    const named = await account({ username: "replyguy" });
    const labelled = await account({ label: "second" });
    const noUsername = await reply("awaiting_approval", {}, { authorUsername: null, authorId: "4242" });
    const free = await reply("awaiting_approval", { accountId: named });
    const bound = await reply("approved", { scheduledAt: NOW, accountId: named, boundAccountId: labelled });
    const unconfirmed = await reply("approved", { scheduledAt: new Date(NOW.getTime() + MINUTE), accountId: named, needsReconcile: true });
    const claimed = await reply("publishing", { scheduledAt: NOW, accountId: labelled });

    const entries = (await createQueueView(db()).page(0, 10)).entries;
    const byId = new Map(entries.map((entry) => [entry.replyId, entry]));
    expect(byId.get(noUsername)).toMatchObject({ author: "4242", account: undefined });
    expect(byId.get(free)).toMatchObject({ author: "@alice", account: undefined });
    expect(byId.get(bound)?.account).toBe("second");
    expect(byId.get(unconfirmed)?.account).toBe("@replyguy");
    expect(byId.get(claimed)?.account).toBe("second");
  });
});
