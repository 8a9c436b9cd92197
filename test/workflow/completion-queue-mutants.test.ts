/**
 * The grouped completion writer (publish/completion-queue.ts) on its own, on a real database: a full group is written
 * at once without waiting for its linger, a completion that comes after a written group gets a linger of its own, one
 * statement is in flight at a time, and a failed statement is tried again on its backoff (on a fake clock) before its
 * completions fail. publisher.test.ts runs it end to end.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Database } from "../../src/db/database.js";
import { resultRows } from "../../src/db/raw-rows.js";
import { createCompletionQueue, type CompletionRetries } from "../../src/workflow/publish/completion-queue.js";
import { claimReplies, type Claim } from "../../src/workflow/replies/claim-replies.js";
import type { Completion, CompletionItem } from "../../src/workflow/replies/complete-replies.js";
import { findReply } from "../../src/workflow/replies/find-reply.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { aroundPrepared } from "../support/around-prepared.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { createPublishFixture } from "../support/publish-fixture.js";

const OUR_TOKEN = "completion-queue-mutants-token";
const HOUR = 3_600_000;
const NO_RETRIES: CompletionRetries = { count: 0, baseMs: 1, maxMs: 1 };

describe.each(databaseTargets())("completions written in groups ($name)", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let alice: FakeXUser;
  let clock: Date;
  /** The completion statements run so far: how many items each wrote, and the most in flight at once. */
  let groups: number[];
  let inFlight: number;
  let mostInFlight: number;
  /** How many of the next completion statements fail (with "connection terminated") instead of running. */
  let failures: number;

  const fixture = createPublishFixture({ db, x, now: () => clock, token: OUR_TOKEN });

  beforeEach(() => {
    x().addUser({ id: "760001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x().addUser({ id: "760002", username: "alice" });
    clock = new Date();
    groups = [];
    inFlight = 0;
    mostInFlight = 0;
    failures = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The test's database, its completion statements counted (and the next `failures` of them failed). */
  const counted = (): Database =>
    aroundPrepared(db(), async (run, name) => {
      if (name !== "complete_replies") return run();
      groups.push(-1);
      const index = groups.length - 1;
      if (failures > 0) {
        failures--;
        throw new Error("connection terminated");
      }
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      try {
        const rows = await run();
        groups[index] = resultRows(rows).length;
        return rows;
      } finally {
        inFlight--;
      }
    });

  /** `count` approved replies, claimed (publishing) in one claim by our account. */
  async function claimed(count: number): Promise<readonly Claim[]> {
    const h = await fixture.build();
    for (let i = 0; i < count; i++) await fixture.seedReply(h.account.id, alice);
    const batch = await claimReplies(db(), {
      accountId: h.account.id,
      now: clock,
      leaseSeconds: 600,
      batch: count,
      limits: { perHour: 1_000, perDay: 1_000 },
    });
    if (batch.kind !== "claimed" || batch.claims.length !== count) throw new Error(`claimed ${batch.kind}`);
    return batch.claims;
  }

  const item = (claim: Claim): CompletionItem => ({ claim, tweetId: `9${claim.reply.id}`, how: "posted", at: clock });
  const published = async (claims: readonly Claim[]) =>
    (await Promise.all(claims.map((claim) => findReply(db(), claim.reply.id)))).map((row) => row?.status);

  it("a group that fills up (25) is written at once in one statement, long before its linger ends", async () => {
    const claims = await claimed(25);
    const queue = createCompletionQueue(counted(), HOUR, NO_RETRIES);

    const done = await Promise.all(claims.map((claim) => queue.complete(item(claim))));
    expect(done).toEqual(claims.map((): Completion => ({ completed: true, deadLettersSettled: 0 })));
    expect(groups).toEqual([25]);
    expect(new Set(await published(claims))).toEqual(new Set(["published"]));
  });

  it("one statement at a time: completions that come while a group is in flight go in the next one, even on a flush", async () => {
    const claims = await claimed(27);
    const queue = createCompletionQueue(counted(), HOUR, NO_RETRIES);

    const first = claims.slice(0, 25).map((claim) => queue.complete(item(claim)));
    // The full group's statement is in flight now; these two join the next group, and the flush starts no second writer.
    const late = claims.slice(25).map((claim) => queue.complete(item(claim)));
    queue.flush();
    await Promise.all([...first, ...late]);
    expect(groups).toEqual([25, 2]);
    expect(mostInFlight).toBe(1);
    expect(new Set(await published(claims))).toEqual(new Set(["published"]));
  });

  it("a completion that comes after a group was written waits for a linger of its own, then is written", async () => {
    const [early, later] = await claimed(2);
    const queue = createCompletionQueue(counted(), 10, NO_RETRIES);

    expect(await queue.complete(item(early!))).toEqual({ completed: true, deadLettersSettled: 0 });
    expect(await queue.complete(item(later!))).toEqual({ completed: true, deadLettersSettled: 0 });
    expect(groups).toEqual([1, 1]);
  });

  it("a failed statement is tried again after 1, 2 and 4 backoff steps (capped), then its completions fail with the error", async () => {
    const claims = await claimed(2);
    failures = Number.POSITIVE_INFINITY;
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const queue = createCompletionQueue(counted(), 0, { count: 3, baseMs: 100, maxMs: 300 });
    const outcomes = claims.map((claim) =>
      queue.complete(item(claim)).then(
        () => "written",
        (error: unknown) => (error instanceof Error ? error.message : "not an error"),
      ),
    );

    await vi.advanceTimersByTimeAsync(0);
    expect(groups).toHaveLength(1);
    // Tries follow 100, 200 and 300 ms (200 doubled would be 400, over the cap) after each failure.
    for (const wait of [100, 200, 300]) {
      await vi.advanceTimersByTimeAsync(wait - 1);
      const before = groups.length;
      await vi.advanceTimersByTimeAsync(1);
      expect(groups.length).toBe(before + 1);
    }
    expect(await Promise.all(outcomes)).toEqual(["connection terminated", "connection terminated"]);
    expect(groups).toHaveLength(4);
    expect(new Set(await published(claims))).toEqual(new Set(["publishing"]));
  });

  it("a statement that fails once is tried again and writes its group", async () => {
    const claims = await claimed(1);
    failures = 1;
    const queue = createCompletionQueue(counted(), 0, { count: 1, baseMs: 1, maxMs: 1 });

    expect(await queue.complete(item(claims[0]!))).toEqual({ completed: true, deadLettersSettled: 0 });
    expect(groups).toEqual([-1, 1]);
    expect(await published(claims)).toEqual(["published"]);
  });
});
