/**
 * The selection mode of /queue on its own: drafts awaiting approval toggled on and off page by page, the count of
 * what is selected over every page, and a closed selection or a decided draft refused.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { approvalBatches, approvalBatchItems, posts, replies, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { createSelection } from "../../src/workflow/bulk/selection.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const ADA = 1001;

describe.each(databaseTargets())("selecting drafts for a bulk approval ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let accountId: number;
  let seq = 0;

  beforeEach(async () => {
    const [account] = await db().insert(xAccounts).values({ label: "main" }).returning();
    accountId = account!.id;
  });

  async function draft(status: ReplyStatus = "awaiting_approval", authorUsername: string | null = "alice") {
    seq++;
    const tweetId = `44${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: `id-${seq}`, authorUsername, text: "hi", source: "mention", sourceDetail: "m", accountId, answerable: true, state: "drafted" });
    const [row] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, status, draft: `draft ${seq}`, weightedLength: 8, expiresAt: new Date(NOW.getTime() + 3_600_000) })
      .returning();
    return row!;
  }

  it("starts an empty selection by the admin, of kind approve", async () => {
    const selection = createSelection(db());
    const batchId = await selection.start(ADA);
    const [batch] = await db().select().from(approvalBatches).where(eq(approvalBatches.id, batchId));
    expect(batch).toMatchObject({ kind: "approve", status: "selecting", createdBy: ADA });
    expect(await selection.page(batchId, 0, 5)).toEqual({ batchId, selected: 0, page: 0, pages: 1, entries: [] });
  });

  it("toggles a draft on (at the version it has now) and off again", async () => {
    const selection = createSelection(db());
    const batchId = await selection.start(ADA);
    const reply = await draft();
    expect(await selection.toggle(batchId, reply.id)).toEqual({ ok: true, selected: true });
    expect(await db().select().from(approvalBatchItems)).toEqual([
      expect.objectContaining({ batchId, replyId: reply.id, version: reply.version, state: "selected" }),
    ]);
    expect((await selection.page(batchId, 0, 5)).selected).toBe(1);
    expect(await selection.toggle(batchId, reply.id)).toEqual({ ok: true, selected: false });
    expect(await db().select().from(approvalBatchItems)).toEqual([]);
  });

  it("refuses a draft that no longer awaits approval, or one that does not exist", async () => {
    const selection = createSelection(db());
    const batchId = await selection.start(ADA);
    const decided = await draft("approved");
    const refused = { ok: false, message: "This draft no longer awaits approval." };
    expect(await selection.toggle(batchId, decided.id)).toEqual(refused);
    expect(await selection.toggle(batchId, 999_999)).toEqual(refused);
    expect(await db().select().from(approvalBatchItems)).toEqual([]);
  });

  it("refuses to toggle in a selection that was confirmed, dropped or never existed", async () => {
    const selection = createSelection(db());
    const reply = await draft();
    const closed = { ok: false, message: "This selection is closed; open /queue again." };
    const batchId = await selection.start(ADA);
    await db().update(approvalBatches).set({ status: "planned" }).where(eq(approvalBatches.id, batchId));
    expect(await selection.toggle(batchId, reply.id)).toEqual(closed);
    expect(await selection.toggle(999_999, reply.id)).toEqual(closed);
    expect(await db().select().from(approvalBatchItems)).toEqual([]);
  });

  it("pages the drafts awaiting approval in id order, marking what this selection holds, clamping the page", async () => {
    const selection = createSelection(db());
    const batchId = await selection.start(ADA);
    const other = await selection.start(ADA);
    const drafts = [await draft(), await draft("awaiting_approval", null), await draft(), await draft(), await draft()];
    await draft("rejected");
    await selection.toggle(batchId, drafts[1]!.id);
    await selection.toggle(batchId, drafts[4]!.id);
    await selection.toggle(other, drafts[0]!.id);

    const first = await selection.page(batchId, 0, 2);
    expect(first).toEqual({
      batchId,
      selected: 2,
      page: 0,
      pages: 3,
      entries: [
        { replyId: drafts[0]!.id, author: "@alice", draft: drafts[0]!.draft, selected: false },
        { replyId: drafts[1]!.id, author: drafts[1]!.postTweetId.replace(/^44/, "id-"), draft: drafts[1]!.draft, selected: true },
      ],
    });
    const past = await selection.page(batchId, 9, 2);
    expect(past).toMatchObject({ page: 2, pages: 3, selected: 2 });
    expect(past.entries.map((entry) => [entry.replyId, entry.selected])).toEqual([[drafts[4]!.id, true]]);
    const before = await selection.page(batchId, -3, 2);
    expect(before.page).toBe(0);
    expect(before.entries.map((entry) => entry.replyId)).toEqual([drafts[0]!.id, drafts[1]!.id]);
    expect((await selection.page(batchId, 1, 2)).entries.map((entry) => entry.replyId)).toEqual([drafts[2]!.id, drafts[3]!.id]);
    expect((await selection.page(other, 0, 5)).selected).toBe(1);
    expect((await selection.page(batchId, 0, 5)).pages).toBe(1);
  });
});
