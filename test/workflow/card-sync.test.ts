/**
 * Cards never jam: a card Telegram refuses is marked failed with the reason and reported once, and
 * the cards after it still go out; only Telegram being unavailable stops a pass (the next retries).
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import {
  CardRefusedError,
  CardSinkUnavailableError,
  createCardSync,
  type CardSink,
  type CardView,
} from "../../src/workflow/card-sync.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");

/** A sink like the Telegram one, whose answer to each send is decided per draft by the test. */
function scriptedSink(refuse: (view: CardView) => Error | undefined) {
  const sent: string[] = [];
  const updated: number[] = [];
  let nextId = 100;
  const sink: CardSink = {
    send(view) {
      const error = refuse(view);
      if (error) return Promise.reject(error);
      sent.push(view.reply.draft);
      return Promise.resolve(nextId++);
    },
    update(messageId, view) {
      const error = refuse(view);
      if (error) return Promise.reject(error);
      updated.push(messageId);
      return Promise.resolve();
    },
  };
  return { sink, sent, updated };
}

describe.each(databaseTargets())("card sync isolation ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let accountId: number;
  let notices: WorkflowNotice[];

  beforeEach(async () => {
    const [account] = await db().insert(xAccounts).values({ label: "main" }).returning();
    accountId = account!.id;
    notices = [];
  });

  async function seedDrafts(drafts: readonly string[]) {
    const ids: number[] = [];
    for (const [i, draft] of drafts.entries()) {
      const tweetId = `880${i}`;
      await db()
        .insert(posts)
        .values({ tweetId, authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId, answerable: true, state: "drafted" });
      const [reply] = await db()
        .insert(replies)
        .values({ postTweetId: tweetId, accountId, status: "awaiting_approval", draft, weightedLength: 6, expiresAt: NOW })
        .returning();
      ids.push(reply!.id);
    }
    return ids;
  }

  function cardSync(sink: CardSink) {
    return createCardSync({
      db: db(),
      sink,
      pause: new PauseSwitch(db()),
      logger: silentLogger(),
      timeZone: "UTC",
      accountUsername: () => "replyguy",
      now: () => NOW,
      notify: (notice) => notices.push(notice),
    });
  }

  const row = async (id: number) => (await db().select().from(replies).where(eq(replies.id, id)))[0]!;

  it("a card Telegram refuses (400) is marked failed with the reason, alerted once, and the later cards go out", async () => {
    const [first, poisoned, third, fourth] = await seedDrafts(["one", "poison", "three", "four"]);
    const { sink, sent } = scriptedSink((view) =>
      view.reply.draft === "poison" ? new CardRefusedError("Telegram 400: Bad Request: message is too long") : undefined,
    );
    const sync = cardSync(sink);

    expect(await sync.sync()).toBe(3);
    expect(sent).toEqual(["one", "three", "four"]);
    for (const id of [first!, third!, fourth!]) expect(await row(id)).toMatchObject({ cardVersion: 1, cardFailedVersion: null });
    expect(await row(poisoned!)).toMatchObject({
      cardMessageId: null,
      cardFailedVersion: 1,
      cardFailedAt: NOW,
      cardFailureReason: "Telegram 400: Bad Request: message is too long",
      status: "awaiting_approval",
      draft: "poison",
    });
    expect(notices).toEqual([{ kind: "card_failed", replyId: poisoned, reason: "Telegram 400: Bad Request: message is too long" }]);

    // The failed card is not retried on every pass (no alert storm) …
    expect(await sync.sync()).toBe(0);
    expect(notices).toHaveLength(1);
  });

  it("a refused card is tried again once its reply changes, and a drawn card clears the mark", async () => {
    const [id] = await seedDrafts(["poison"]);
    let refusing = true;
    const { sink, sent } = scriptedSink(() => (refusing ? new CardRefusedError("Telegram 400: Bad Request: can't parse entities") : undefined));
    const sync = cardSync(sink);
    await sync.sync();
    expect((await row(id!)).cardFailedVersion).toBe(1);

    refusing = false;
    await db().update(replies).set({ version: 2 }).where(eq(replies.id, id!));
    expect(await sync.sync()).toBe(1);
    expect(sent).toEqual(["poison"]);
    expect(await row(id!)).toMatchObject({ cardVersion: 2, cardFailedVersion: null, cardFailedAt: null, cardFailureReason: null });
  });

  it("an error that is not Telegram's (a card that cannot be rendered) is isolated the same way", async () => {
    await seedDrafts(["one", "bug", "three"]);
    const { sink, sent } = scriptedSink((view) => (view.reply.draft === "bug" ? new TypeError("cannot read properties of undefined") : undefined));
    expect(await cardSync(sink).sync()).toBe(2);
    expect(sent).toEqual(["one", "three"]);
    expect(notices).toMatchObject([{ kind: "card_failed", reason: "cannot read properties of undefined" }]);
  });

  it("Telegram unavailable (network, 5xx, 429) stops the pass without marking anything; the next pass sends them all", async () => {
    const ids = await seedDrafts(["one", "two", "three"]);
    let down = true;
    const { sink, sent } = scriptedSink((view) =>
      down && view.reply.draft === "two" ? new CardSinkUnavailableError("Telegram 502: Bad Gateway") : undefined,
    );
    const sync = cardSync(sink);
    expect(await sync.sync()).toBe(1);
    expect(sent).toEqual(["one"]);
    for (const id of ids) expect((await row(id)).cardFailedVersion).toBeNull();
    expect(notices).toEqual([]);

    down = false;
    expect(await sync.sync()).toBe(2);
    expect(sent).toEqual(["one", "two", "three"]);
  });

  it("a refused edit of an existing card is isolated too: the other cards are still rewritten", async () => {
    const ids = await seedDrafts(["one", "poison", "three"]);
    let refusing = false;
    const { sink, updated } = scriptedSink((view) =>
      refusing && view.reply.draft === "poison" ? new CardRefusedError("Telegram 400: Bad Request: message is too long") : undefined,
    );
    const sync = cardSync(sink);
    await sync.sync();
    refusing = true;
    for (const id of ids) await db().update(replies).set({ version: 2 }).where(eq(replies.id, id));
    expect(await sync.sync()).toBe(2);
    expect(updated).toEqual([(await row(ids[0]!)).cardMessageId, (await row(ids[2]!)).cardMessageId]);
    expect(await row(ids[1]!)).toMatchObject({ cardVersion: 1, cardFailedVersion: 2 });
  });

  it("more refused cards than one batch still lets the ones behind them out", async () => {
    const drafts = [...Array.from({ length: 30 }, (_, i) => `poison ${i}`), "last"];
    await seedDrafts(drafts);
    const { sink, sent } = scriptedSink((view) =>
      view.reply.draft.startsWith("poison") ? new CardRefusedError("Telegram 400: Bad Request: message is too long") : undefined,
    );
    expect(await cardSync(sink).sync()).toBe(1);
    expect(sent).toEqual(["last"]);
    expect(notices).toHaveLength(30);
  });
  it("a card shows the pause, the publishing account's name, and whom an approved reply held by a down account waits for", async () => {
    const [, unclaimed, unconfirmed, bound] = await seedDrafts(["plain", "unclaimed", "unconfirmed", "bound"]);
    await db().update(replies).set({ accountId: null }).where(eq(replies.id, unclaimed!));
    await db().update(replies).set({ status: "approved", scheduledAt: NOW, needsReconcile: true }).where(eq(replies.id, unconfirmed!));
    await db().update(replies).set({ status: "approved", scheduledAt: NOW, boundAccountId: accountId }).where(eq(replies.id, bound!));
    await new PauseSwitch(db()).pause(null, NOW);
    const views = new Map<string, CardView>();
    let down = true;
    const sync = createCardSync({
      db: db(),
      sink: {
        send(view) {
          views.set(view.reply.draft, view);
          return Promise.resolve(views.size);
        },
        update(_, view) {
          views.set(view.reply.draft, view);
          return Promise.resolve();
        },
      },
      pause: new PauseSwitch(db()),
      logger: silentLogger(),
      timeZone: "UTC",
      accountUsername: (id) => (id === accountId && !down ? "replyguy" : undefined),
      isAccountDown: () => down,
      now: () => NOW,
    });

    expect(await sync.sync()).toBe(4);
    expect(views.get("plain")).toMatchObject({ paused: true, timeZone: "UTC", now: NOW, waitingFor: undefined });
    expect(views.get("unclaimed")?.accountUsername).toBeUndefined();
    expect(views.get("unconfirmed")?.waitingFor).toEqual({ account: `account #${accountId}`, why: "unconfirmed" });
    expect(views.get("bound")?.waitingFor).toEqual({ account: `account #${accountId}`, why: "bound" });

    down = false;
    await new PauseSwitch(db()).resume(null, NOW);
    expect(await sync.sync()).toBe(4);
    expect(views.get("plain")).toMatchObject({ paused: false, accountUsername: "replyguy", waitingFor: undefined });
    expect(views.get("bound")?.waitingFor).toBeUndefined();
  });

  it("keeps at most 300 characters of a refusal's reason", async () => {
    const [id] = await seedDrafts(["long"]);
    const { sink } = scriptedSink(() => new CardRefusedError(`Telegram 400: ${"x".repeat(400)}`));
    await cardSync(sink).sync();
    const reason = `Telegram 400: ${"x".repeat(285)}…`;
    expect(reason).toHaveLength(300);
    expect(notices).toEqual([{ kind: "card_failed", replyId: id, reason }]);
    expect((await row(id!)).cardFailureReason).toBe(reason);
  });
});
