/**
 * The health monitor's schedule and thresholds on the fake X, one account at a time: a status changed elsewhere is
 * looked at at once, a change the monitor made itself is not looked at again before the interval, the breaker's
 * limit is reached at exactly ACCOUNT_FAIL_AFTER_SECONDS, the users/me reserve is a tenth of the window (at least
 * one call) until the window resets, an inconclusive answer decides nothing, and the publisher is woken only when
 * the pool changed.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { xAccounts } from "../../src/db/schema.js";
import type { Logger } from "../../src/logger.js";
import { XAccounts, type XAccount } from "../../src/workflow/accounts.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import type { XAccountClient } from "../../src/x/types.js";
import {
  createTestMonitor,
  fakeXClient,
  MONITOR_FAIL_AFTER_MS as FAIL_AFTER,
  MONITOR_INTERVAL_MS as INTERVAL,
  POOL_TOKENS,
  useOwnDatabaseAndFakeX,
} from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { capturingLogger } from "../support/logger.js";

const USERS_ME = "GET /2/users/me";

describe.each(databaseTargets())("account health monitor schedule on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let user: FakeXUser;
  let clock: Date;
  let notices: WorkflowNotice[];

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const meCalls = () => x().requests({ method: "GET", path: "/2/users/me" }).filter((request) => request.callerUserId === user.id).length;

  beforeEach(() => {
    user = x().addUser({ id: "830001", username: "replyguy", accessToken: POOL_TOKENS.a });
    clock = new Date();
    notices = [];
  });

  /**
   * Account a alone, registered from `raw` (its client before the pool counts successes: calls made with it are
   * not activity), and a monitor on the test's clock counting the publisher's wake-ups.
   */
  async function monitorOfA(options: { breakerDownSince?: (account: XAccount) => Date | undefined; logger?: Logger } = {}) {
    const raw: XAccountClient = fakeXClient(x(), POOL_TOKENS.a);
    const accounts = await XAccounts.register(db(), new Map([["a", raw]]), (notice) => notices.push(notice));
    const id = accounts.all()[0]!.id;
    const wakes = { count: 0 };
    const monitor = createTestMonitor(accounts, {
      breakerDownSince: options.breakerDownSince,
      wakePublisher: () => wakes.count++,
      now: () => clock,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const row = async () => (await db().select().from(xAccounts).where(eq(xAccounts.id, id)))[0]!;
    return { raw, accounts, id, monitor, wakes, row };
  }

  it("a status changed elsewhere is looked at at once; the monitor's own change waits for the next interval", async () => {
    const { accounts, id, monitor, wakes, row } = await monitorOfA();
    expect(await monitor.runOnce()).toEqual({ checked: [], failed: [], recovered: [] });

    // The publisher met a 401 that X no longer gives: within the interval, the account is asked and comes back.
    await accounts.setStatus(id, "failed", "the publisher met a 401", { quiet: true });
    expect(await monitor.runOnce()).toEqual({ checked: ["a"], failed: [], recovered: ["a"] });
    expect(await row()).toMatchObject({ status: "active", failureReason: null });
    expect(notices).toEqual([{ kind: "session_recovered", account: "a" }]);
    expect(wakes.count).toBe(1);
    // It rejoined through the monitor: not asked again before the interval is over.
    expect(await monitor.runOnce()).toEqual({ checked: [], failed: [], recovered: [] });

    x().setUserAccess(user.id, "revoked");
    advance(INTERVAL);
    expect(await monitor.runOnce()).toEqual({ checked: ["a"], failed: ["a"], recovered: [] });
    expect(wakes.count).toBe(2);
    const calls = meCalls();
    // Failed by the monitor: not asked again before the interval is over either.
    expect(await monitor.runOnce()).toEqual({ checked: [], failed: [], recovered: [] });
    expect(meCalls()).toBe(calls);
    expect(wakes.count).toBe(2);
  });

  it("a successful check records the verification; an inconclusive one (X 500) neither fails nor verifies, and wakes nothing", async () => {
    const captured = capturingLogger();
    const { monitor, wakes, row } = await monitorOfA({ logger: captured.logger });
    await monitor.runOnce();
    expect((await row()).lastVerifiedAt).toBeNull();

    x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 500 });
    advance(INTERVAL);
    expect(await monitor.runOnce()).toEqual({ checked: ["a"], failed: [], recovered: [] });
    expect(await row()).toMatchObject({ status: "active", lastVerifiedAt: null, xUserId: null });
    expect(wakes.count).toBe(0);
    const inconclusive = captured.lines.map((line) => JSON.parse(line) as { msg: string; account?: string }).filter((line) => line.msg === "account health check inconclusive");
    expect(inconclusive).toMatchObject([{ account: "a" }]);

    advance(INTERVAL);
    expect(await monitor.runOnce()).toEqual({ checked: ["a"], failed: [], recovered: [] });
    const verified = await row();
    expect(verified).toMatchObject({ status: "active", xUserId: user.id, username: "replyguy" });
    expect(verified.lastVerifiedAt).toBeInstanceOf(Date);
    expect(wakes.count).toBe(0);
  });

  it("a failed account X cannot tell about (500) stays failed and is not recovered", async () => {
    const captured = capturingLogger();
    const { accounts, id, monitor, wakes, row } = await monitorOfA({ logger: captured.logger });
    await accounts.setStatus(id, "failed", "revoked earlier", { quiet: true });
    x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 500 });
    expect(await monitor.runOnce()).toEqual({ checked: ["a"], failed: [], recovered: [] });
    expect(await row()).toMatchObject({ status: "failed", failureReason: "revoked earlier" });
    expect(wakes.count).toBe(0);
    expect(notices).toEqual([]);
    expect(captured.lines.some((line) => line.includes("account pool changed"))).toBe(false);

    advance(INTERVAL);
    expect(await monitor.runOnce()).toEqual({ checked: ["a"], failed: [], recovered: ["a"] });
    const changed = captured.lines.map((line) => JSON.parse(line) as { msg: string; recovered?: string[] }).filter((line) => line.msg === "account pool changed");
    expect(changed).toMatchObject([{ recovered: ["a"] }]);
  });

  it("a breaker open exactly ACCOUNT_FAIL_AFTER_SECONDS fails the account, saying for how long and since when", async () => {
    const openedAt = new Date(clock.getTime() - FAIL_AFTER + INTERVAL);
    const { monitor, wakes, row } = await monitorOfA({ breakerDownSince: () => openedAt });
    await monitor.runOnce();
    advance(INTERVAL);
    const calls = meCalls();
    expect(await monitor.runOnce()).toEqual({ checked: [], failed: ["a"], recovered: [] });
    expect(meCalls()).toBe(calls);
    const reason = `X has not answered it for 10 min (its circuit breaker stayed open since ${openedAt.toISOString()})`;
    expect(await row()).toMatchObject({ status: "failed", failureReason: reason });
    expect(notices).toEqual([{ kind: "session_failed", account: "a", reason }]);
    expect(wakes.count).toBe(1);
  });

  it("keeps a tenth of the users/me window in reserve: 3 left of 20 is asked, 2 left is not", async () => {
    const { raw, monitor } = await monitorOfA();
    x().setRateLimit(USERS_ME, 20, 900);
    for (let call = 0; call < 17; call++) await raw.me();
    expect(raw.rateLimits().get(USERS_ME)).toMatchObject({ limit: 20, remaining: 3 });
    await monitor.runOnce();
    advance(INTERVAL);
    expect((await monitor.runOnce()).checked).toEqual(["a"]);
    expect(raw.rateLimits().get(USERS_ME)?.remaining).toBe(2);
    advance(INTERVAL);
    expect((await monitor.runOnce()).checked).toEqual([]);
    expect(raw.rateLimits().get(USERS_ME)?.remaining).toBe(2);
  });

  it("keeps at least one users/me call in reserve in a window of fewer than ten", async () => {
    const { raw, monitor } = await monitorOfA();
    x().setRateLimit(USERS_ME, 5, 900);
    for (let call = 0; call < 4; call++) await raw.me();
    await monitor.runOnce();
    advance(INTERVAL);
    const calls = meCalls();
    expect((await monitor.runOnce()).checked).toEqual([]);
    expect(meCalls()).toBe(calls);
  });

  it("a spent users/me window no longer holds the check back from the moment it resets", async () => {
    const { raw, monitor } = await monitorOfA();
    x().setRateLimit(USERS_ME, 10, 900);
    for (let call = 0; call < 9; call++) await raw.me();
    await monitor.runOnce();
    advance(INTERVAL);
    expect((await monitor.runOnce()).checked).toEqual([]);
    const resetAt = raw.rateLimits().get(USERS_ME)!.resetAt;
    // Looked at one interval before the reset (still spent), then again at the reset itself.
    clock = new Date(resetAt.getTime() - INTERVAL);
    expect((await monitor.runOnce()).checked).toEqual([]);
    advance(INTERVAL);
    expect((await monitor.runOnce()).checked).toEqual(["a"]);
  });

  it("an account enabled again within the interval is not asked at once (enabling asked X already)", async () => {
    const { id, monitor } = await monitorOfA();
    await monitor.runOnce();
    await db().update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.id, id));
    advance(INTERVAL / 2);
    expect(await monitor.runOnce()).toEqual({ checked: [], failed: [], recovered: [] });
    await db().update(xAccounts).set({ status: "active" }).where(eq(xAccounts.id, id));
    advance(1);
    const calls = meCalls();
    expect(await monitor.runOnce()).toEqual({ checked: [], failed: [], recovered: [] });
    expect(meCalls()).toBe(calls);
    advance(INTERVAL / 2);
    expect((await monitor.runOnce()).checked).toEqual(["a"]);
  });

  it("without a clock of its own, reads the real time", async () => {
    const accounts = await XAccounts.register(db(), new Map([["a", fakeXClient(x(), POOL_TOKENS.a)]]), (notice) => notices.push(notice));
    await accounts.setStatus(accounts.all()[0]!.id, "failed", "revoked earlier", { quiet: true });
    const monitor = createTestMonitor(accounts);
    expect(await monitor.runOnce()).toEqual({ checked: ["a"], failed: [], recovered: ["a"] });
    expect(await monitor.runOnce()).toEqual({ checked: [], failed: [], recovered: [] });
  });
});
