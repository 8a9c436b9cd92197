/**
 * The publisher's run loop where the other publish tests do not reach it (issue 8 mutants): how often a claim that
 * found the account's row busy or every due reply locked is made again, which accounts sit out the rest of a run and
 * which come back when another account hands a reply back, quiet hours that begin during a run, what a run in quiet
 * hours tells the cards, the zone quiet hours are read in, the progress callback of bulk batches, and what ends a run
 * or an account's turn in it (a pause seen by a claim, the gap after a POST, a dead claim released).
 *
 * "busy" and "locked" need a second worker on PostgreSQL to happen for real; here the claim is wrapped so a test can
 * script those answers (every other claim is the real one).
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { publishAttempts, replies } from "../../src/db/schema.js";
import { createPublisher } from "../../src/workflow/publisher.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { aroundPrepared } from "../support/around-prepared.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import { createPublishFixture } from "../support/publish-fixture.js";
import { WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const OUR_TOKEN = "publisher-mutants-token";
const OTHER_TOKEN = "publisher-mutants-other-token";
/** Not a user at the fake X: the account's first call is answered 401 and it leaves the pool. */
const UNKNOWN_TOKEN = "publisher-mutants-unknown-token";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** "real": the claim statement runs (a script can let a claim through between scripted answers). */
type ScriptedKind = "busy" | "locked" | "held" | "none" | "paused" | "real";

const hhmm = (at: Date, timeZone = "UTC") =>
  new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }).format(at);

describe.each(databaseTargets())("the publisher's run loop on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let alice: FakeXUser;
  let clock: Date;
  /** Answers a claim gets instead of the real one, in order, per account id (or for any account under -1). */
  let script: Map<number, ScriptedKind[]>;

  const postRequests = () => x().requests({ method: "POST", path: "/2/tweets" });
  /** The account of each claim statement run, in order. */
  let claims: number[];
  const claimsFor = (accountId: number) => claims.filter((id) => id === accountId).length;
  /**
   * The database with the claim's answers scripted: a scripted kind is answered as the claim statement would answer it
   * (one verdict row; "locked" and "none" an open verdict with nothing taken, due replies skipped or not), else it runs.
   */
  const scripted = () =>
    aroundPrepared(db(), (run, name, values) => {
      if (name !== "claim_replies") return run();
      const accountId = values?.accountId as number;
      claims.push(accountId);
      const kind = (script.get(accountId) ?? script.get(-1))?.shift();
      if (kind === undefined || kind === "real") return run();
      const open = { kind: "open", reply: null, post: null, x_user_id: null, username: null, previous_hold: null };
      if (kind === "locked" || kind === "none") return Promise.resolve([{ ...open, skipped: kind === "locked" }]);
      return Promise.resolve([{ kind }]);
    });

  beforeEach(() => {
    x().addUser({ id: "790001", username: "replyguy", accessToken: OUR_TOKEN });
    x().addUser({ id: "790003", username: "replygal", accessToken: OTHER_TOKEN });
    alice = x().addUser({ id: "790002", username: "alice" });
    clock = new Date();
    script = new Map();
    claims = [];
  });

  const fixture = createPublishFixture({ db: scripted, x, now: () => clock, token: OUR_TOKEN });

  describe("claims made again", () => {
    it("a busy account row is claimed three times, then the account sits out the run; the next run publishes", async () => {
      const h = await fixture.build();
      const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
      script.set(h.account.id, ["busy", "busy", "busy"]);

      expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
      expect(claimsFor(h.account.id)).toBe(3);
      expect((await fixture.reply(seeded.id)).status).toBe("approved");

      expect((await h.publisher.runOnce()).published).toBe(1);
      expect(postRequests()).toHaveLength(1);
    });

    it("due replies all locked are looked at again four times, then the account counts as idle", async () => {
      const h = await fixture.build();
      await fixture.seedReply(h.account.id, alice);

      // Four locked answers and then the real claim: published in the same run (and one more claim finds nothing).
      script.set(h.account.id, ["locked", "locked", "locked", "locked"]);
      expect((await h.publisher.runOnce()).published).toBe(1);
      expect(claimsFor(h.account.id)).toBe(6);

      // Five locked answers: the account gives up for this run, and the next run publishes.
      await fixture.seedReply(h.account.id, alice);
      claims = [];
      script.set(h.account.id, ["locked", "locked", "locked", "locked", "locked"]);
      expect((await h.publisher.runOnce()).published).toBe(0);
      expect(claimsFor(h.account.id)).toBe(5);
      expect((await h.publisher.runOnce()).published).toBe(1);
    });

    it("an account with nothing due is asked once per run", async () => {
      const h = await fixture.build();
      expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
      expect(claimsFor(h.account.id)).toBe(1);
    });

    it("busy and locked answers are counted per account: another account's answers do not use up its retries", async () => {
      const h = await fixture.build({ pool: [{ label: "second", token: OTHER_TOKEN }] });
      const second = h.accounts.all()[1]!;
      await fixture.seedReply(h.account.id, alice);
      // The accounts take turns: each is busy twice, below three of its own; the second then finds nothing, ours claims.
      script.set(h.account.id, ["busy", "busy"]);
      script.set(second.id, ["busy", "busy", "none"]);
      expect((await h.publisher.runOnce()).published).toBe(1);
      expect(postRequests().map((request) => request.callerUserId)).toEqual(["790001"]);

      await fixture.seedReply(h.account.id, alice);
      claims = [];
      // Locked three times each way (four of its own are allowed): ours still claims after the second went idle.
      script.set(h.account.id, ["locked", "locked", "locked"]);
      script.set(second.id, ["locked", "locked", "none"]);
      expect((await h.publisher.runOnce()).published).toBe(1);
      expect(postRequests().map((request) => request.callerUserId)).toEqual(["790001", "790001"]);
      expect(claimsFor(h.account.id)).toBe(5);
    });

    it("busy answers count in a row: a claim in between starts the account's count again", async () => {
      const h = await fixture.build();
      await fixture.seedReply(h.account.id, alice);
      // Busy twice, a claim (publishes), busy twice more: still below three in a row, so it asks a sixth time.
      script.set(h.account.id, ["busy", "busy", "real", "busy", "busy"]);
      expect((await h.publisher.runOnce()).published).toBe(1);
      expect(claimsFor(h.account.id)).toBe(6);
    });

    it("an account that went idle after locked answers gets its retries again when a reply is handed back", async () => {
      const h = await fixture.build({ pool: [{ label: "refused", token: UNKNOWN_TOKEN }] });
      const refused = h.accounts.all()[1]!;
      await fixture.seedReply(h.account.id, alice);
      // Ours: five locked answers (idle); the refused account then takes the reply, X refuses it (401), it goes back
      // and ours, back in the run, is locked four times more and still claims it.
      script.set(h.account.id, Array.from({ length: 9 }, (): ScriptedKind => "locked"));
      script.set(refused.id, ["locked", "locked", "locked", "locked"]);
      expect(await h.publisher.runOnce()).toMatchObject({ published: 1, retrying: 1 });
      expect(postRequests().map((request) => request.callerUserId)).toEqual(["790001"]);
    });
  });

  describe("what ends a run or an account's part in it", () => {
    it("a claim that finds the bot paused ends the run: no other account is asked", async () => {
      const h = await fixture.build({ pool: [{ label: "second", token: OTHER_TOKEN }] });
      const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
      script.set(-1, ["paused"]);
      expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
      expect(claims).toEqual([h.account.id]);
      expect((await fixture.reply(seeded.id)).status).toBe("approved");
    });

    it("an account whose POST started its gap is not asked again in the run", async () => {
      const h = await fixture.build({ settings: { gapSeconds: { min: 60, max: 60 } } });
      await fixture.seedReply(h.account.id, alice);
      await fixture.seedReply(h.account.id, alice);
      expect((await h.publisher.runOnce()).published).toBe(1);
      expect(claims).toEqual([h.account.id]);
    });

    it("a dead claim released while the bot is paused still redraws the cards (nothing is published)", async () => {
      const h = await fixture.build();
      const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
      const dead = "00000000-0000-4000-8000-00000000d1ed";
      await db()
        .update(replies)
        .set({ status: "publishing", attemptId: dead, attemptCount: 1, leaseUntil: new Date(clock.getTime() - 1_000) })
        .where(eq(replies.id, seeded.id));
      await db().insert(publishAttempts).values({ id: dead, replyId: seeded.id, accountId: h.account.id, startedAt: new Date(clock.getTime() - 60_000) });
      await h.pause.pause(1);

      expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
      expect(await fixture.reply(seeded.id)).toMatchObject({ status: "approved", needsReconcile: true });
      expect(h.changes()).toBe(1);
      expect(postRequests()).toEqual([]);
    });
  });

  describe("who comes back when a reply is handed back", () => {
    /** Our account (lowest id: round robin asks it first) and one X refuses (401), which takes the reply and hands it back. */
    async function withRefusedAccount() {
      const h = await fixture.build({ pool: [{ label: "refused", token: UNKNOWN_TOKEN }] });
      const refused = h.accounts.all()[1]!;
      const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
      return { h, refused, seeded };
    }

    it("an account that found nothing to claim takes the reply another account handed back, in the same run", async () => {
      const { h, refused, seeded } = await withRefusedAccount();
      script.set(h.account.id, ["none"]);

      expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 1 });
      expect(claimsFor(refused.id)).toBe(1);
      // Nothing, then the handed-back reply, then nothing again.
      expect(claimsFor(h.account.id)).toBe(3);
      expect((await fixture.reply(seeded.id)).status).toBe("published");
      expect(postRequests().map((request) => request.callerUserId)).toEqual(["790001"]);
    });

    it("an account whose claim was held (its gap, a limit) sits out the run even when a reply is handed back", async () => {
      const { h, refused, seeded } = await withRefusedAccount();
      script.set(h.account.id, ["held"]);

      expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
      expect(claimsFor(h.account.id)).toBe(1);
      expect(claimsFor(refused.id)).toBe(1);
      expect((await fixture.reply(seeded.id)).status).toBe("approved");
      expect(postRequests()).toEqual([]);
    });

    it("an account whose row stayed busy sits out the run even when a reply is handed back", async () => {
      const { h, refused, seeded } = await withRefusedAccount();
      // The accounts take turns; the refused one takes the reply at its second claim and hands it back, and ours,
      // busy a third time, sits out.
      script.set(h.account.id, ["busy", "busy", "busy"]);
      script.set(refused.id, ["busy"]);

      expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });
      expect(claimsFor(h.account.id)).toBe(3);
      expect(claimsFor(refused.id)).toBe(2);
      expect((await fixture.reply(seeded.id)).status).toBe("approved");
      expect(postRequests()).toEqual([]);
    });
  });

  describe("quiet hours", () => {
    it("quiet hours that begin during a run stop it before the next claim: the other reply waits", async () => {
      const start = new Date(Math.floor(clock.getTime() / MINUTE) * MINUTE + 2 * MINUTE);
      const h = await fixture.build({
        settings: { quietHours: `${hhmm(start)}-${hhmm(new Date(start.getTime() + HOUR))}` },
        // The window opens while the first reply is on its way to X.
        wrap: (client) => ({
          ...client,
          postReply: async (...args) => {
            const posted = await client.postReply(...args);
            clock = new Date(start.getTime() + 1_000);
            return posted;
          },
        }),
        pool: [{ label: "second", token: OTHER_TOKEN }],
      });
      const first = await fixture.seedReply(h.account.id, alice);
      const second = await fixture.seedReply(h.account.id, alice);

      expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
      expect(postRequests()).toHaveLength(1);
      expect((await fixture.reply(first.reply.id)).status).toBe("published");
      expect((await fixture.reply(second.reply.id)).status).toBe("approved");
    });

    /** Quiet hours from an hour before the clock to an hour after it, in `timeZone`; the instant they end. */
    function quietAroundNow(timeZone = "UTC") {
      const minute = Math.floor(clock.getTime() / MINUTE) * MINUTE;
      const end = new Date(minute + HOUR);
      return { spec: `${hhmm(new Date(minute - HOUR), timeZone)}-${hhmm(end, timeZone)}`, end };
    }

    it("a run inside quiet hours tells the cards only when it moved a reply", async () => {
      const quiet = quietAroundNow();
      const h = await fixture.build({ settings: { quietHours: quiet.spec } });
      await h.publisher.runOnce();
      expect(h.changes()).toBe(0);

      const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
      await h.publisher.runOnce();
      expect(await fixture.reply(seeded.id)).toMatchObject({ status: "approved", scheduledAt: quiet.end });
      expect(h.changes()).toBe(1);
      expect(claims).toEqual([]);
    });

    it("quiet hours are read in BOT_TIMEZONE, and each lane's attempts are reported as they are written", async () => {
      const h = await fixture.build();
      const timeZone = "Asia/Kathmandu"; // UTC+05:45: its window is never the same clock time in UTC
      const quiet = quietAroundNow(timeZone);
      let done = 0;
      const publisherIn = (zone: string | undefined) =>
        createPublisher({
          db: scripted(),
          accounts: h.accounts,
          pause: h.pause,
          settings: new SettingsStore(db(), { ...WORKFLOW_TEST_DEFAULTS, quietHours: quiet.spec }),
          logger: silentLogger(),
          leaseSeconds: 120,
          replyPolicy: () => "any",
          onChange: () => Promise.resolve(),
          now: () => clock,
          random: () => 0,
          timeZone: zone,
          onAttemptDone: () => {
            done++;
          },
        });
      const { reply: held } = await fixture.seedReply(h.account.id, alice);

      // In Kathmandu the window holds the reply back to its end …
      await publisherIn(timeZone).runOnce();
      expect(await fixture.reply(held.id)).toMatchObject({ status: "approved", scheduledAt: quiet.end });
      expect(postRequests()).toEqual([]);

      // … read in UTC (the default) the same window is not now: due replies go out, each reported once written.
      clock = new Date(clock.getTime() + 1);
      await fixture.seedReply(h.account.id, alice);
      await fixture.seedReply(h.account.id, alice);
      expect(await publisherIn(undefined).runOnce()).toEqual({ published: 2, failed: 0, retrying: 0 });
      expect(done).toBe(2);
    });
  });
});
