/**
 * What one publisher run reports beyond its counts: which accounts it found out of the pool (and the cards of the
 * replies held to them, redrawn when that flips), when it tells the cards anything at all, and its lanes.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { replies } from "../../src/db/schema.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { createPublishFixture } from "../support/publish-fixture.js";

const OUR_TOKEN = "publish-run-token";

describe.each(databaseTargets())("one publisher run on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let alice: FakeXUser;
  let clock: Date;

  const postRequests = () => x().requests({ method: "POST", path: "/2/tweets" });

  beforeEach(() => {
    x().addUser({ id: "770001", username: "replyguy", accessToken: OUR_TOKEN });
    alice = x().addUser({ id: "770002", username: "alice" });
    clock = new Date();
  });

  const fixture = createPublishFixture({ db, x, now: () => clock, token: OUR_TOKEN });
  /** Marks the reply's card as drawn at its current version. */
  const drawCard = async (id: number) => {
    const row = await fixture.reply(id);
    await db().update(replies).set({ cardMessageId: 1, cardVersion: row.version }).where(eq(replies.id, id));
  };

  it("an account whose breaker opens is reported down, and the cards of the replies held to it are redrawn once per flip", async () => {
    let available = true;
    const h = await fixture.build({ isAccountAvailable: () => available });
    expect(h.publisher.isAccountDown(h.account.id)).toBe(false);
    const { reply: bound } = await fixture.seedReply(h.account.id, alice, { bound: true });
    await drawCard(bound.id);

    available = false;
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(h.publisher.isAccountDown(h.account.id)).toBe(true);
    expect(await fixture.reply(bound.id)).toMatchObject({ status: "approved", cardVersion: 0 });
    expect(h.changes()).toBe(1);
    expect(postRequests()).toEqual([]);

    // Still down: nothing flipped, nothing to redraw, nobody told.
    await drawCard(bound.id);
    await h.publisher.runOnce();
    expect((await fixture.reply(bound.id)).cardVersion).toBeGreaterThan(0);
    expect(h.changes()).toBe(1);

    available = true;
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect(h.publisher.isAccountDown(h.account.id)).toBe(false);
    expect(h.changes()).toBe(2);
  });

  it("a free reply's card is not redrawn when an account flips: it waits for no account in particular", async () => {
    let available = true;
    const h = await fixture.build({ isAccountAvailable: () => available });
    const { reply: free } = await fixture.seedReply(h.account.id, alice);
    await drawCard(free.id);
    available = false;
    await h.publisher.runOnce();
    expect(h.publisher.isAccountDown(h.account.id)).toBe(true);
    expect((await fixture.reply(free.id)).cardVersion).toBeGreaterThan(0);
    expect(h.changes()).toBe(0);
  });

  it("a run with nothing due tells the cards nothing", async () => {
    const h = await fixture.build();
    expect(await h.publisher.runOnce()).toEqual({ published: 0, failed: 0, retrying: 0 });
    expect(h.changes()).toBe(0);
  });

  it("a concurrency below one still runs one lane", async () => {
    const h = await fixture.build({ concurrency: 0 });
    const { reply: seeded } = await fixture.seedReply(h.account.id, alice);
    expect(await h.publisher.runOnce()).toEqual({ published: 1, failed: 0, retrying: 0 });
    expect((await fixture.reply(seeded.id)).status).toBe("published");
  });
});
