/**
 * What a pause switch does around a change: open cards marked stale in the change's transaction, the publisher woken
 * on a resume only, the cards redrawn after any change and nothing at all when the bot was already in that state.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { appState, posts, replies, xAccounts, type ReplyStatus } from "../../src/db/schema.js";
import { PAUSE_KEY, PauseSwitch } from "../../src/workflow/pause.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const ADA = 1001;
const AT = new Date("2026-03-01T10:00:00Z");

describe.each(databaseTargets())("pause switch effects on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);

  /** A pause switch whose hooks record their calls in order. */
  function build() {
    const calls: string[] = [];
    const pause = new PauseSwitch(db(), { redrawCards: () => void calls.push("redraw"), wakePublisher: () => void calls.push("wake") });
    return { pause, calls };
  }

  async function replyWithCard(status: ReplyStatus, seq: number) {
    const [account] = await db().insert(xAccounts).values({ label: `acct-${seq}` }).returning();
    const tweetId = `99${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "a", authorUsername: "alice", text: "hi", source: "mention", sourceDetail: "m", accountId: account!.id, answerable: true, state: "drafted" });
    const [row] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, status, draft: "d", weightedLength: 1, expiresAt: new Date(AT.getTime() + 3_600_000), cardVersion: 1 })
      .returning();
    return row!.id;
  }

  const cardVersion = async (id: number) => (await db().select().from(replies).where(eq(replies.id, id)))[0]!.cardVersion;

  it("a pause redraws the cards without waking the publisher; a resume wakes it first, then redraws", async () => {
    const { pause, calls } = build();
    await pause.pause(ADA, AT);
    expect(calls).toEqual(["redraw"]);
    await pause.resume(ADA, AT);
    expect(calls).toEqual(["redraw", "wake", "redraw"]);
  });

  it("pausing while paused or resuming while running calls no hook and marks no card", async () => {
    const { pause, calls } = build();
    const open = await replyWithCard("awaiting_approval", 1);
    expect((await pause.resume(ADA, AT)).changed).toBe(false);
    // The first change stores the row every reader (and the publish claim's SQL) understands as not paused.
    expect((await db().select().from(appState).where(eq(appState.key, PAUSE_KEY)))[0]!.value).toEqual({ paused: false, by: null, at: null });
    await pause.pause(ADA, AT);
    await db().update(replies).set({ cardVersion: 1 });
    calls.length = 0;
    expect((await pause.pause(ADA, AT)).changed).toBe(false);
    expect(calls).toEqual([]);
    expect(await cardVersion(open)).toBe(1);
  });

  it("a change marks every open card stale, and only open ones", async () => {
    const { pause } = build();
    const open = [await replyWithCard("awaiting_approval", 1), await replyWithCard("approved", 2), await replyWithCard("publishing", 3)];
    const closed = [await replyWithCard("published", 4), await replyWithCard("rejected", 5)];
    await pause.pause(ADA, AT);
    expect(await Promise.all(open.map(cardVersion))).toEqual([0, 0, 0]);
    expect(await Promise.all(closed.map(cardVersion))).toEqual([1, 1]);
  });

  it("stores who paused and when as JSON the publish claim can read", async () => {
    const { pause } = build();
    await pause.pause(ADA, AT);
    const [row] = await db().select().from(appState).where(eq(appState.key, PAUSE_KEY));
    expect(row!.value).toEqual({ paused: true, by: ADA, at: AT.toISOString() });
    await pause.resume(null, AT);
    const [after] = await db().select().from(appState).where(eq(appState.key, PAUSE_KEY));
    expect(after!.value).toEqual({ paused: false, by: null, at: AT.toISOString() });
    expect(await pause.state()).toEqual({ paused: false, at: AT });
  });

  it("reads a bare false stored by an older build as not paused, and works without hooks", async () => {
    await db().insert(appState).values({ key: PAUSE_KEY, value: false });
    const bare = new PauseSwitch(db());
    expect(await bare.state()).toEqual({ paused: false });
    expect(await bare.pause(ADA, AT)).toEqual({ changed: true, before: { paused: false }, after: { paused: true, by: ADA, at: AT } });
    expect((await bare.resume(ADA, AT)).changed).toBe(true);
  });
});
