/**
 * Card sync at its edges: whom an approved reply waits for (by @username when known, never for a reply not yet
 * approved), a card adopted by a press in the middle of a pass, a sync asked for during a sync, the wall clock and
 * no alert sink by default, and what each card's fate writes to the log.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import type { Logger } from "../../src/logger.js";
import {
  CardRefusedError,
  CardSinkUnavailableError,
  createCardSync,
  type CardSink,
  type CardSyncDeps,
  type CardView,
} from "../../src/workflow/card-sync.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { adoptCard } from "../../src/workflow/replies/card-state.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const INFO = 30;
const WARN = 40;
const ERROR = 50;

type Line = Record<string, unknown> & { level: number; msg: string };

describe.each(databaseTargets())("card sync at its edges on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let seq = 0;

  /** An account and, for each draft, a reply awaiting approval to a new post of it. */
  async function seed(drafts: readonly string[]) {
    const [account] = await db().insert(xAccounts).values({ label: `acct-${++seq}` }).returning();
    const ids: number[] = [];
    for (const draft of drafts) {
      const tweetId = `44${++seq}`;
      await db()
        .insert(posts)
        .values({ tweetId, authorId: "2", text: "hi", source: "mention", sourceDetail: "m", accountId: account!.id, answerable: true, state: "drafted" });
      const [reply] = await db()
        .insert(replies)
        .values({ postTweetId: tweetId, accountId: account!.id, status: "awaiting_approval", draft, weightedLength: 5, expiresAt: NOW })
        .returning();
      ids.push(reply!.id);
    }
    return { accountId: account!.id, ids };
  }

  /** A sink that records every view it is given and answers each send with a new message id. */
  function recordingSink(onSend: (view: CardView) => Promise<void> | void = () => undefined) {
    const views = new Map<string, CardView>();
    const sent: string[] = [];
    let nextId = 300;
    const sink: CardSink = {
      async send(view) {
        await onSend(view);
        views.set(view.reply.draft, view);
        sent.push(view.reply.draft);
        return nextId++;
      },
      update(_messageId, view) {
        views.set(view.reply.draft, view);
        return Promise.resolve();
      },
    };
    return { sink, views, sent };
  }

  function cardSync(sink: CardSink, overrides: Partial<CardSyncDeps> = {}, logger: Logger = silentLogger()) {
    return createCardSync({
      db: db(),
      sink,
      pause: new PauseSwitch(db()),
      logger,
      timeZone: "UTC",
      accountUsername: () => undefined,
      now: () => NOW,
      ...overrides,
    });
  }

  const row = async (id: number) => (await db().select().from(replies).where(eq(replies.id, id)))[0]!;

  it("an approved reply held by a down account waits for it by @username when the name is known; one not approved waits for nobody", async () => {
    const { accountId, ids } = await seed(["approved", "awaiting"]);
    const [approved, awaiting] = ids;
    await db().update(replies).set({ status: "approved", scheduledAt: NOW, boundAccountId: accountId }).where(eq(replies.id, approved!));
    await db().update(replies).set({ boundAccountId: accountId }).where(eq(replies.id, awaiting!));
    const { sink, views } = recordingSink();
    await cardSync(sink, { accountUsername: () => "replyguy", isAccountDown: () => true }).sync();
    expect(views.get("approved")?.waitingFor).toEqual({ account: "@replyguy", why: "bound" });
    expect(views.get("awaiting")?.waitingFor).toBeUndefined();
  });

  it("without an account-health check an approved bound reply waits for nobody", async () => {
    const { accountId, ids } = await seed(["approved"]);
    await db().update(replies).set({ status: "approved", scheduledAt: NOW, boundAccountId: accountId }).where(eq(replies.id, ids[0]!));
    const { sink, views } = recordingSink();
    expect(await cardSync(sink).sync()).toBe(1);
    expect(views.get("approved")?.waitingFor).toBeUndefined();
  });

  it("a card a press adopted mid-pass is not sent again, and the pass still counts it towards a full batch", async () => {
    // 26 cards: one more than a batch. The second one's card is adopted (a press on an earlier copy) while the first is sent.
    const { ids } = await seed(Array.from({ length: 26 }, (_, i) => `card ${i}`));
    let adopted = false;
    const { sink, sent } = recordingSink(async () => {
      if (adopted) return;
      adopted = true;
      expect(await adoptCard(db(), ids[1]!, 77, 1)).toBe(true);
    });
    expect(await cardSync(sink).sync()).toBe(25);
    expect(sent).toHaveLength(25);
    expect(sent).not.toContain("card 1");
    expect(sent).toContain("card 25");
    expect(await row(ids[1]!)).toMatchObject({ cardMessageId: 77, cardVersion: 1, cardSends: 0 });
  });

  it("a sync asked for during a sync gets a pass of its own, and both callers get the cards both passes drew", async () => {
    await seed(["first"]);
    let second: Promise<number> | undefined;
    const sync = cardSync(
      recordingSink(async (view) => {
        if (view.reply.draft !== "first") return;
        // A change lands while the first card is being sent: its reply is not in this pass's SELECT.
        await seed(["late"]);
        second = sync.sync();
      }).sink,
    );
    expect(await sync.sync()).toBe(2);
    expect(await second).toBe(2);
  });

  it("without a clock or an alert sink of its own: the view and a refusal are stamped with the wall clock, and nothing throws", async () => {
    const { ids } = await seed(["shown", "refused"]);
    const views: CardView[] = [];
    const sink: CardSink = {
      send(view) {
        views.push(view);
        return view.reply.draft === "refused" ? Promise.reject(new CardRefusedError("Telegram 400: Bad Request: message is too long")) : Promise.resolve(9);
      },
      update: () => Promise.resolve(),
    };
    const before = Date.now();
    expect(await cardSync(sink, { now: undefined, notify: undefined }).sync()).toBe(1);
    const after = Date.now();
    for (const view of views) {
      expect(view.now.getTime()).toBeGreaterThanOrEqual(before);
      expect(view.now.getTime()).toBeLessThanOrEqual(after);
    }
    const refused = await row(ids[1]!);
    expect(refused.cardFailedVersion).toBe(1);
    expect(refused.cardFailedAt!.getTime()).toBeGreaterThanOrEqual(before);
    expect(refused.cardFailedAt!.getTime()).toBeLessThanOrEqual(after);
  });

  it("logs a first send at info, a refused card at error and an unavailable Telegram at warn, each under its post's trace", async () => {
    const { ids } = await seed(["sent", "refused", "unavailable"]);
    const tweetOf = async (id: number) => (await row(id)).postTweetId;
    const { logger, lines } = capturingLogger();
    const sink: CardSink = {
      send(view) {
        if (view.reply.draft === "refused") return Promise.reject(new CardRefusedError("Telegram 400: Bad Request: message is too long"));
        if (view.reply.draft === "unavailable") return Promise.reject(new CardSinkUnavailableError("Telegram 502: Bad Gateway"));
        return Promise.resolve(12);
      },
      update: () => Promise.resolve(),
    };
    expect(await cardSync(sink, {}, logger).sync()).toBe(1);
    const parsed = lines.map((l) => JSON.parse(l) as Line);
    const line = (msg: string) => {
      const found = parsed.filter((l) => l.msg === msg);
      expect(found, msg).toHaveLength(1);
      return found[0]!;
    };
    expect(line("card sent")).toMatchObject({ level: INFO, trace: await tweetOf(ids[0]!), replyId: ids[0], messageId: 12 });
    expect(line("card refused; marked failed, the next cards go on")).toMatchObject({
      level: ERROR,
      trace: await tweetOf(ids[1]!),
      replyId: ids[1],
      err: { message: "Telegram 400: Bad Request: message is too long" },
    });
    expect(line("Telegram unavailable for cards; the next sync retries")).toMatchObject({
      level: WARN,
      trace: await tweetOf(ids[2]!),
      replyId: ids[2],
      err: { message: "Telegram 502: Bad Gateway" },
    });
    // A first send is no resend: nothing says an earlier copy may be above.
    expect(parsed.some((l) => l.msg.startsWith("card sent again"))).toBe(false);
  });

  it("a rewrite of an existing card is not logged as a send", async () => {
    const { ids } = await seed(["one"]);
    const { sink } = recordingSink();
    const sync = cardSync(sink);
    await sync.sync();
    await db().update(replies).set({ version: 2 }).where(eq(replies.id, ids[0]!));
    const { logger, lines } = capturingLogger();
    expect(await cardSync(sink, {}, logger).sync()).toBe(1);
    expect(lines.filter((l) => l.includes('"card sent"'))).toEqual([]);
  });
});
