/**
 * Rules the publisher checks on every path, right before a POST: the author's opt-out, the post
 * still as drafted at X (not deleted, not edited), quiet hours and pause. Time is an injected clock
 * starting at the real time; quiet hours are a window around it, so nothing sleeps.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deadLetters, optOuts, posts, publishAttempts } from "../../src/db/schema.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { createPublishFixture } from "../support/publish-fixture.js";
import { approveReply } from "../../src/workflow/replies/approve-reply.js";

const OUR_TOKEN = "publish-rules-token";
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DLQ = { baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 3 };
const JITTER_SECONDS = 60;

const hhmm = (at: Date) => `${String(at.getUTCHours()).padStart(2, "0")}:${String(at.getUTCMinutes()).padStart(2, "0")}`;

describe.each(databaseTargets())("publish rules on $name", (target) => {
  const db = useTestDatabase(target, async (db) => {
    await clearWorkflowTables(db);
    await db.delete(optOuts);
  });
  let x: FakeX;
  let alice: FakeXUser;
  let clock: Date;

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const postRequests = () => x.requests({ method: "POST", path: "/2/tweets" });

  beforeAll(async () => {
    x = await startFakeX();
  });
  afterAll(async () => {
    await x.close();
  });
  beforeEach(() => {
    x.reset();
    x.addUser({ id: "710001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x.addUser({ id: "710002", username: "Alice" });
    clock = new Date();
  });

  const fixture = createPublishFixture({ db, x: () => x, now: () => clock, token: OUR_TOKEN });
  const reply = fixture.reply;

  describe("opt-out and the post read again", () => {
    it("an opt-out that lands after the claim cancels the reply at the last check: no POST, its dead letter closed", async () => {
      const h = await fixture.buildWithQueue(DLQ, { maxAttempts: 1 });
      const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
      // A failed first try leaves an open dead letter; the worker hands the reply back due now.
      x.setDown(503);
      await h.publisher.runOnce();
      x.setDown(null);
      expect((await reply(seeded.id)).status).toBe("failed");
      // The opt-out is stored without the /optout sweep: only the publisher's own check can stop it.
      await db().insert(optOuts).values({ username: "alice", createdBy: null });
      advance(MINUTE);

      await h.queue.runDue();

      const row = await reply(seeded.id);
      expect(row).toMatchObject({ status: "cancelled", failureReason: "@Alice opted out", leaseUntil: null });
      expect(postRequests()).toHaveLength(0);
      const [attempt] = await db().select().from(publishAttempts).where(eq(publishAttempts.outcome, "cancelled"));
      expect(attempt?.replyId).toBe(seeded.id);
      const [entry] = await db().select().from(deadLetters).where(eq(deadLetters.replyId, seeded.id));
      expect(entry?.status).toBe("discarded");
      advance(24 * HOUR);
      await h.queue.runDue();
      await h.publisher.runOnce();
      expect(postRequests()).toHaveLength(0);
    });

    it("a post deleted on X (404 or errors[]) fails the reply with that reason and no POST", async () => {
      const h = await fixture.build();
      const gone = await fixture.seedReply(h.account.id, alice);
      x.deleteTweet(gone.post.id);
      const notFound = await fixture.seedReply(h.account.id, alice);
      x.enqueueFault({ method: "GET", path: `/2/tweets/${notFound.post.id}` }, { kind: "status", status: 404 });

      await h.publisher.runOnce();
      advance(HOUR);
      await h.publisher.runOnce();

      for (const id of [gone.reply.id, notFound.reply.id]) {
        expect(await reply(id)).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/deleted or not visible/) });
      }
      expect(postRequests()).toHaveLength(0);
    });

    it("a post edited since the draft sends the reply back to awaiting approval with the new text: no POST", async () => {
      const h = await fixture.build();
      const { post, reply: seeded } = await fixture.seedReply(h.account.id, alice);
      x.editTweet(post.id, "@replyguy question, edited: is Rust faster?");

      expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 1 });

      const row = await reply(seeded.id);
      expect(row).toMatchObject({
        status: "awaiting_approval",
        decidedAt: null,
        scheduledAt: null,
        leaseUntil: null,
        failureReason: expect.stringMatching(/edited on X/),
      });
      // The version moved on, so the card is redrawn and an Approve pressed on the old one is stale.
      expect(row.version).toBeGreaterThan(seeded.version);
      expect(row.expiresAt.getTime()).toBeGreaterThan(clock.getTime());
      const [postRow] = await db().select().from(posts).where(eq(posts.tweetId, post.id));
      expect(postRow?.text).toBe("@replyguy question, edited: is Rust faster?");
      expect(postRequests()).toHaveLength(0);
      advance(HOUR);
      await h.publisher.runOnce();
      expect(postRequests()).toHaveLength(0);

      // Approved again for the new text, it is published (the same edit does not send it back twice).
      const approved = await approveReply(db(), { id: row.id, version: row.version, by: 1, decidedAt: clock, scheduledAt: clock });
      expect(approved?.status).toBe("approved");
      expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
      expect(postRequests()).toHaveLength(1);
    });
  });

  describe("quiet hours and pause hold for every publish", () => {
    /** Quiet hours from an hour before the clock to an hour after it (UTC); the instant they end. */
    function quietAroundNow() {
      const minute = Math.floor(clock.getTime() / MINUTE) * MINUTE;
      const end = new Date(minute + HOUR);
      return { spec: `${hhmm(new Date(minute - HOUR))}-${hhmm(end)}`, end };
    }

    it("a retry, a rate-limit wait, a dead-letter retry and an overdue reply are not posted inside the window: each moves to its end plus jitter", async () => {
      const noGap = { gapSeconds: { min: 0, max: 0 } };
      // Outside quiet hours: a failure that is dead-lettered, a transient failure, a 429.
      const oneShot = await fixture.buildWithQueue(DLQ, { maxAttempts: 1, settings: noGap });
      const dead = await fixture.seedReply(oneShot.account.id, alice);
      x.setDown(503);
      await oneShot.publisher.runOnce();
      x.setDown(null);
      expect((await reply(dead.reply.id)).status).toBe("failed");

      const plain = await fixture.build({ settings: noGap });
      const retrying = await fixture.seedReply(plain.account.id, alice);
      x.enqueueFault({ method: "GET", path: `/2/tweets/${retrying.post.id}` }, { kind: "status", status: 503 });
      await plain.publisher.runOnce();
      expect(await reply(retrying.reply.id)).toMatchObject({ status: "approved", failureReason: expect.stringMatching(/503/) });

      const waiting = await fixture.seedReply(plain.account.id, alice);
      x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "rateLimited", resetInSeconds: 120 });
      await plain.publisher.runOnce();
      expect(await reply(waiting.reply.id)).toMatchObject({ status: "approved", failureReason: expect.stringMatching(/429/) });
      const overdue = await fixture.seedReply(plain.account.id, alice);
      const posted = postRequests().length;

      // Quiet hours hold while all four come due: the dead letter, the backoff, the 429 reset, the overdue one.
      const quiet = quietAroundNow();
      const held = await fixture.buildWithQueue(DLQ, {
        settings: { ...noGap, quietHours: quiet.spec, jitterSeconds: JITTER_SECONDS },
        random: () => 0.5,
      });
      advance(5 * MINUTE);
      expect(await held.queue.runDue()).toEqual({ retried: 1, settled: 0 });
      await held.publisher.runOnce();

      expect(postRequests()).toHaveLength(posted);
      const at = new Date(quiet.end.getTime() + (JITTER_SECONDS * SECOND) / 2);
      for (const { reply: r } of [dead, retrying, waiting, overdue]) {
        expect(await reply(r.id)).toMatchObject({ status: "approved", scheduledAt: at });
      }

      // Still inside the window nothing goes out; after its end plus the jitter, they do.
      advance(20 * MINUTE);
      await held.publisher.runOnce();
      expect(postRequests()).toHaveLength(posted);
      clock = new Date(at.getTime() + SECOND);
      await held.publisher.runOnce();
      expect(postRequests().length).toBeGreaterThan(posted);
    });

    it("paused inside quiet hours: a due reply keeps its time (nothing is moved while paused); after /resume it moves to the window's end", async () => {
      const quiet = quietAroundNow();
      const h = await fixture.build({ settings: { gapSeconds: { min: 0, max: 0 }, quietHours: quiet.spec, jitterSeconds: 0 } });
      const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
      const due = (await reply(seeded.id)).scheduledAt;
      await h.pause.pause(1, clock);

      await h.publisher.runOnce();
      expect(await reply(seeded.id)).toMatchObject({ status: "approved", scheduledAt: due });

      await h.pause.resume(1, clock);
      await h.publisher.runOnce();
      expect(await reply(seeded.id)).toMatchObject({ status: "approved", scheduledAt: quiet.end });
      expect(postRequests()).toHaveLength(0);
    });

    it("while paused the dead-letter worker hands nothing back; after /resume it does", async () => {
      const h = await fixture.buildWithQueue(DLQ, { maxAttempts: 1 });
      const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
      x.setDown(503);
      await h.publisher.runOnce();
      x.setDown(null);
      await h.pause.pause(1, clock);
      advance(HOUR);

      expect(await h.queue.runDue()).toEqual({ retried: 0, settled: 0 });
      expect((await reply(seeded.id)).status).toBe("failed");
      const [entry] = await db().select().from(deadLetters).where(eq(deadLetters.replyId, seeded.id));
      expect(entry?.status).toBe("pending");
      expect(postRequests()).toHaveLength(0);

      await h.pause.resume(1, clock);
      expect(await h.queue.runDue()).toEqual({ retried: 1, settled: 0 });
      expect((await reply(seeded.id)).status).toBe("published");
    });
  });
});
