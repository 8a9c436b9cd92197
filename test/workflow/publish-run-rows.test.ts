/**
 * Which account rows a publish run chooses from (publish/run-rows.ts): a run starts on the rows the last run read at
 * its end, so its first claim does not wait for its own read, yet it never ends on those older rows.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { xAccounts } from "../../src/db/schema.js";
import type { XAccountRow } from "../../src/workflow/accounts.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { createPublishFixture } from "../support/publish-fixture.js";

const OUR_TOKEN = "run-rows-token";
const OTHER_TOKEN = "run-rows-other-token";

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe.each(databaseTargets())("a publish run's account rows on $name", (target) => {
  const world = useOwnDatabaseAndFakeX(() => target.create());
  const { db } = world;
  let alice: FakeXUser;
  const posts = () => world.x().requests({ method: "POST", path: "/2/tweets" });

  beforeEach(() => {
    world.x().addUser({ id: "710001", username: "replyguy", accessToken: OUR_TOKEN });
    world.x().addUser({ id: "710003", username: "replyguy2", accessToken: OTHER_TOKEN });
    alice = world.x().addUser({ id: "710002", username: "alice" });
  });

  const fixture = createPublishFixture({ db, x: world.x, now: () => new Date(), token: OUR_TOKEN });

  it("a run's first claim does not wait for the run's own read of the accounts", async () => {
    const h = await fixture.build();
    await fixture.seedReply(h.account.id, alice);
    expect((await h.publisher.runOnce()).published).toBe(1);

    const read = gate();
    const rows = h.accounts.rows.bind(h.accounts);
    vi.spyOn(h.accounts, "rows").mockImplementationOnce(() => read.opened.then(rows));
    await fixture.seedReply(h.account.id, alice);
    const run = h.publisher.runOnce();
    // Published while the run's read of the accounts is still held back.
    await vi.waitFor(() => expect(posts()).toHaveLength(2), { timeout: 5_000, interval: 10 });
    read.open();
    expect((await run).published).toBe(1);
  });

  it("a run asks for its own read of the accounts only once its first claim is answered and on its way to X", async () => {
    const order: string[] = [];
    const h = await fixture.build({
      wrap: (client) => ({ ...client, getPost: (id) => (order.push("x"), client.getPost(id)) }),
    });
    await fixture.seedReply(h.account.id, alice);
    expect((await h.publisher.runOnce()).published).toBe(1);

    const rows = h.accounts.rows.bind(h.accounts);
    vi.spyOn(h.accounts, "rows").mockImplementation(() => (order.push("rows"), rows()));
    order.length = 0;
    await fixture.seedReply(h.account.id, alice);
    expect((await h.publisher.runOnce()).published).toBe(1);
    // The claim's answer leads straight to X; the run's read (and the one at its end) only after.
    expect(order[0]).toBe("x");
    expect(order.filter((step) => step === "rows").length).toBeGreaterThanOrEqual(1);
  });

  it("a run's own read of the accounts goes out while its first reply is on its way to X", async () => {
    const posting = gate();
    let holdPosts = false;
    const h = await fixture.build({
      wrap: (client) => ({
        ...client,
        postReply: async (...args) => {
          if (holdPosts) await posting.opened;
          return client.postReply(...args);
        },
      }),
    });
    await fixture.seedReply(h.account.id, alice);
    expect((await h.publisher.runOnce()).published).toBe(1);

    const reads = vi.spyOn(h.accounts, "rows");
    holdPosts = true;
    await fixture.seedReply(h.account.id, alice);
    const run = h.publisher.runOnce();
    try {
      // The POST is held back: the read went out beside it, not after it.
      await vi.waitFor(() => expect(reads).toHaveBeenCalledTimes(1), { timeout: 5_000, interval: 10 });
    } finally {
      posting.open();
    }
    expect((await run).published).toBe(1);
  });

  it("a run whose own read of the accounts fails goes on with the older rows to its end", async () => {
    const h = await fixture.build();
    await fixture.seedReply(h.account.id, alice);
    expect((await h.publisher.runOnce()).published).toBe(1);

    vi.spyOn(h.accounts, "rows").mockRejectedValueOnce(new Error("connection terminated"));
    await fixture.seedReply(h.account.id, alice);
    expect((await h.publisher.runOnce()).published).toBe(1);
    expect(posts()).toHaveLength(2);
  });

  it("a run whose older rows show no account ready waits for its own read: an account back in the pool publishes", async () => {
    const h = await fixture.build();
    // The last run saw the account out of the pool (failed) …
    await db().update(xAccounts).set({ status: "failed" }).where(eq(xAccounts.id, h.account.id));
    await fixture.seedReply(h.account.id, alice);
    expect((await h.publisher.runOnce()).published).toBe(0);
    // … and another replica's health check has put it back since.
    await db().update(xAccounts).set({ status: "active" }).where(eq(xAccounts.id, h.account.id));

    expect((await h.publisher.runOnce()).published).toBe(1);
    expect(posts()).toHaveLength(1);
  });

  it("an account that left the pool since the last run is not chosen from the older rows", async () => {
    const h = await fixture.build({ pool: [{ label: "second", token: OTHER_TOKEN }] });
    const second = h.accounts.all()[1]!;
    // Round robin: the first account publishes this one, so the second has the next turn.
    await fixture.seedReply(h.account.id, alice, { bound: true });
    expect((await h.publisher.runOnce()).published).toBe(1);

    h.accounts.forget(second.id);
    const read = gate();
    const rows = h.accounts.rows.bind(h.accounts);
    vi.spyOn(h.accounts, "rows").mockImplementationOnce((): Promise<XAccountRow[]> => read.opened.then(rows));
    await fixture.seedReply(h.account.id, alice);
    const run = h.publisher.runOnce();
    await vi.waitFor(() => expect(posts()).toHaveLength(2), { timeout: 5_000, interval: 10 });
    read.open();
    expect((await run).published).toBe(1);
    expect(posts().map((request) => request.callerUserId)).toEqual(["710001", "710001"]);
  });
});
