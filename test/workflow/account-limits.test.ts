/** An account's own posting limits (x_accounts.max_posts_per_hour / _per_day) take the place of the global settings. */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { xAccounts } from "../../src/db/schema.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { createPublishFixture } from "../support/publish-fixture.js";

const TOKEN = "limits-test-token";
const HOUR = 3_600_000;

describe("per-account posting limits", () => {
  const { db, x } = useOwnDatabaseAndFakeX();
  let alice: FakeXUser;
  let clock: Date;
  const fixture = createPublishFixture({ db, x, now: () => clock, token: TOKEN });

  beforeEach(() => {
    x().addUser({ id: "830001", username: "replyguy", accessToken: TOKEN });
    alice = x().addUser({ id: "830002", username: "alice" });
    clock = new Date();
  });

  it("an hourly limit of 1 on the account holds the second reply for an hour, though the settings allow 100", async () => {
    const h = await fixture.build();
    await db().update(xAccounts).set({ maxPostsPerHour: 1 }).where(eq(xAccounts.id, h.account.id));
    await fixture.seedReply(h.account.id, alice);
    await fixture.seedReply(h.account.id, alice);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 1 });
    expect(await h.publisher.runOnce()).toMatchObject({ published: 0 });
    clock = new Date(clock.getTime() + HOUR + 1_000);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 1 });
  });

  it("a daily limit of 1 on the account holds the second reply past the hour too", async () => {
    const h = await fixture.build();
    await db().update(xAccounts).set({ maxPostsPerDay: 1 }).where(eq(xAccounts.id, h.account.id));
    await fixture.seedReply(h.account.id, alice);
    await fixture.seedReply(h.account.id, alice);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 1 });
    clock = new Date(clock.getTime() + 2 * HOUR);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 0 });
    clock = new Date(clock.getTime() + 23 * HOUR);
    expect(await h.publisher.runOnce()).toMatchObject({ published: 1 });
  });
});
