/**
 * The workflow as `createWorkflow` wires it, without the bot: only the leader draws cards (a stand-by announces its
 * change instead), settings and opt-out changes are announced, an approval wakes the publisher (or only this
 * replica's, when its statement wakes the others), the publisher skips an account whose X breaker rests, discovery
 * learns the account's @username for the cards, maintenance expires drafts nobody decided on, and boot recovery
 * releases every claim on PGlite (one process) but only expired ones on PostgreSQL.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import type { Drafter } from "../../src/ai/types.js";
import { loadConfig } from "../../src/config.js";
import type { WakeSignal } from "../../src/db/notifications.js";
import { replies, xAccounts } from "../../src/db/schema.js";
import type { CardSink, CardView } from "../../src/workflow/card-sync.js";
import { createWorkflow } from "../../src/workflow/services.js";
import { MINIMAL_ENV } from "../support/config-env.js";
import { fakeXClient, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import { createPublishFixture } from "../support/publish-fixture.js";

const TOKEN = "wiring-token";
const ADA = 1001;

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

  async function workflow(overrides: Partial<Parameters<typeof createWorkflow>[0]> = {}) {
    const announced: string[] = [];
    const woken: string[] = [];
    const cards = recordingSink();
    const built = await createWorkflow({
      config: loadConfig({ ...MINIMAL_ENV, QUIET_HOURS: "", SCHEDULE_MIN_DELAY_MINUTES: "0", SCHEDULE_MAX_DELAY_MINUTES: "0", SCHEDULE_JITTER_SECONDS: "0" }),
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
});
