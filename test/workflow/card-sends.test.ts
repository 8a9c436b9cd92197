/**
 * Card sends are counted before sendMessage, so a card sent again after a send whose id was lost can say an
 * earlier copy may be above. A send Telegram answered with an error delivered nothing and is taken back; a send
 * with no answer may have delivered and stays counted. The moves that count and adopt are guarded.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import { CardRefusedError, CardSinkUnavailableError, createCardSync, type CardSink } from "../../src/workflow/card-sync.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { adoptCard, markCardSending } from "../../src/workflow/replies/card-state.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");

describe.each(databaseTargets())("card sends ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let replyId: number;

  beforeEach(async () => {
    const [account] = await db().insert(xAccounts).values({ label: "main" }).returning();
    await db()
      .insert(posts)
      .values({ tweetId: "7001", authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId: account!.id, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: "7001", accountId: account!.id, status: "awaiting_approval", draft: "hello", weightedLength: 5, expiresAt: NOW })
      .returning();
    replyId = reply!.id;
  });

  const row = async () => (await db().select().from(replies).where(eq(replies.id, replyId)))[0]!;

  /** A sink that fails the first send with `error`, then delivers; it records the sends begun each card shows. */
  function failingOnce(error: Error) {
    const shown: number[] = [];
    let failed = false;
    const sink: CardSink = {
      send(view) {
        if (!failed) {
          failed = true;
          return Promise.reject(error);
        }
        shown.push(view.reply.cardSends);
        return Promise.resolve(500);
      },
      update: () => Promise.resolve(),
    };
    const sync = createCardSync({ db: db(), sink, pause: new PauseSwitch(db()), logger: silentLogger(), timeZone: "UTC", accountUsername: () => undefined, now: () => NOW });
    return { sync, shown };
  }

  it.each([
    ["Telegram answered 502", new CardSinkUnavailableError("Telegram 502: Bad Gateway")],
    ["Telegram refused the card", new CardRefusedError("Telegram 400: Bad Request: can't parse entities")],
  ])("a send Telegram answered with an error (%s) is taken back: the card that goes out later is a first send", async (_name, error) => {
    const { sync, shown } = failingOnce(error);
    await sync.sync();
    expect((await row()).cardSends).toBe(0);
    if (error instanceof CardRefusedError) await db().update(replies).set({ version: 2 }).where(eq(replies.id, replyId));
    await sync.sync();
    expect(shown).toEqual([1]);
    expect(await row()).toMatchObject({ cardMessageId: 500, cardSends: 1 });
  });

  it("a send with no answer may have delivered: it stays counted and the next card is a second send", async () => {
    const { sync, shown } = failingOnce(new CardSinkUnavailableError("Telegram unreachable: socket hang up", { mayHaveSent: true }));
    await sync.sync();
    expect((await row()).cardSends).toBe(1);
    await sync.sync();
    expect(shown).toEqual([2]);
    expect(await row()).toMatchObject({ cardMessageId: 500, cardSends: 2 });
  });

  it("counts a send only while no card is stored, and adopts a card only while none is stored, for a version the reply has reached", async () => {
    expect(await markCardSending(db(), replyId)).toBe(1);
    expect(await adoptCard(db(), replyId, 41, 2)).toBe(false);
    expect(await adoptCard(db(), replyId, 41, 1)).toBe(true);
    expect(await adoptCard(db(), replyId, 42, 1)).toBe(false);
    expect(await markCardSending(db(), replyId)).toBeUndefined();
    expect(await row()).toMatchObject({ cardMessageId: 41, cardVersion: 1, cardSends: 1 });
  });
});
