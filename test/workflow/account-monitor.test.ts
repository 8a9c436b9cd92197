/**
 * The account health monitor and the failover signals on the fake X with three accounts: a revoked or
 * suspended account leaves the pool (one session_failed), a breaker open too long does too, a recovered
 * account rejoins and takes its waiting work (one session_recovered), and checks cost X nothing while an
 * account proves itself working, nearly spends its users/me window or is disabled.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { publishAttempts, replies, xAccounts } from "../../src/db/schema.js";
import type { XAccount } from "../../src/workflow/accounts.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import {
  addPoolUsers,
  createPoolFixture,
  createTestMonitor,
  MONITOR_FAIL_AFTER_MS as FAIL_AFTER,
  MONITOR_INTERVAL_MS as INTERVAL,
  useOwnDatabaseAndFakeX,
  type PoolUsers,
} from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";

const MINUTE = 60_000;

describe.each(databaseTargets())("account health monitor on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let users: PoolUsers;
  let alice: FakeXUser;
  let clock: Date;
  let notices: WorkflowNotice[];

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  /** users/me calls X received from each user, by user id. */
  const meCalls = (user: FakeXUser) => x().requests({ method: "GET", path: "/2/users/me" }).filter((request) => request.callerUserId === user.id).length;

  beforeEach(() => {
    ({ users, alice } = addPoolUsers(x()));
    clock = new Date();
    notices = [];
  });

  const fixture = createPoolFixture({ db, x, now: () => clock });

  /** A publisher over accounts a, b and c (identities resolved) and a monitor over the same pool on the test's clock. */
  async function buildPool(options: { breakerDownSince?: (account: XAccount) => Date | undefined } = {}) {
    const rig = await fixture.buildPool({ notify: (notice) => notices.push(notice) });
    let woken: Promise<unknown> = Promise.resolve();
    const monitor = createTestMonitor(rig.accounts, {
      breakerDownSince: options.breakerDownSince,
      wakePublisher: () => {
        woken = rig.publisher.runOnce();
      },
      now: () => clock,
    });
    return { ...rig, monitor, woken: () => woken };
  }

  async function account(id: number) {
    const [row] = await db().select().from(xAccounts).where(eq(xAccounts.id, id));
    return row!;
  }

  const sessionNotices = () => notices.filter((notice) => notice.kind === "session_failed" || notice.kind === "session_recovered");

  it("a revoked account found by the periodic check fails with the reason and one session_failed, not one per run", async () => {
    const h = await buildPool();
    await h.monitor.runOnce();
    x().setUserAccess(users.a.id, "revoked");
    advance(INTERVAL);
    expect(await h.monitor.runOnce()).toMatchObject({ failed: ["a"] });
    expect(await account(h.ids.a)).toMatchObject({ status: "failed", failureReason: expect.stringContaining("401") as unknown });
    for (let run = 0; run < 3; run++) {
      advance(INTERVAL);
      await h.monitor.runOnce();
    }
    expect(sessionNotices()).toEqual([{ kind: "session_failed", account: "a", reason: expect.stringContaining("HTTP 401") as unknown }]);
    expect((await account(h.ids.a)).status).toBe("failed");
  });

  it("a plain 403 on users/me fails the account (nothing else can be forbidden there); a 400 decides nothing", async () => {
    const h = await buildPool();
    await h.monitor.runOnce();
    // The pass asks a, b and c in that order: a's users/me is answered 400, then b's 403.
    x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 400 });
    x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 403 });
    advance(INTERVAL);
    expect(await h.monitor.runOnce()).toMatchObject({ checked: ["a", "b", "c"], failed: ["b"] });
    expect(await account(h.ids.a)).toMatchObject({ status: "active", failureReason: null });
    expect(await account(h.ids.b)).toMatchObject({ status: "failed", failureReason: expect.stringContaining("HTTP 403") as unknown });
    expect(sessionNotices()).toEqual([{ kind: "session_failed", account: "b", reason: expect.stringContaining("HTTP 403") as unknown }]);
  });

  it("a breaker open past ACCOUNT_FAIL_AFTER_SECONDS fails the account; under it, it stays", async () => {
    const openedAt = new Date(clock.getTime() - FAIL_AFTER + 2 * MINUTE);
    const h = await buildPool({ breakerDownSince: (subject) => (subject.label === "b" ? openedAt : undefined) });
    await h.monitor.runOnce();
    advance(INTERVAL);
    expect((await h.monitor.runOnce()).failed).toEqual([]);
    expect((await account(h.ids.b)).status).toBe("active");
    advance(INTERVAL);
    expect((await h.monitor.runOnce()).failed).toEqual(["b"]);
    expect(await account(h.ids.b)).toMatchObject({ status: "failed", failureReason: expect.stringContaining("circuit breaker") as unknown });
    expect(sessionNotices()).toEqual([{ kind: "session_failed", account: "b", reason: expect.stringContaining("10 min") as unknown }]);
  });

  it("a recovered account rejoins: active, one session_recovered, and its waiting bound reply goes out from it at once", async () => {
    const h = await buildPool();
    const bound = await fixture.seedReply(h.ids.a, alice, { bound: true });
    x().setUserAccess(users.a.id, "revoked");
    await h.publisher.runOnce();
    expect((await account(h.ids.a)).status).toBe("failed");
    expect(await fixture.reply(bound.reply.id)).toMatchObject({ status: "approved", attemptCount: 0 });
    await h.monitor.runOnce();
    expect((await account(h.ids.a)).status).toBe("failed");

    x().setUserAccess(users.a.id, "ok");
    advance(INTERVAL);
    expect((await h.monitor.runOnce()).recovered).toEqual(["a"]);
    await h.woken();
    expect(await account(h.ids.a)).toMatchObject({ status: "active", failureReason: null });
    expect(await fixture.reply(bound.reply.id)).toMatchObject({ status: "published", accountId: h.ids.a });
    expect(x().repliesTo(bound.post.id).map((reply) => reply.author_id)).toEqual([users.a.id]);
    expect(sessionNotices().map((notice) => notice.kind)).toEqual(["session_failed", "session_recovered"]);
    advance(INTERVAL);
    await h.monitor.runOnce();
    expect(sessionNotices()).toHaveLength(2);
  });

  it("checks cost nothing while an account works or its users/me window is nearly spent; a disabled one is never asked", async () => {
    const h = await buildPool();
    await db().update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.id, h.ids.c));
    // First sight of an active account (the boot verification has just asked X): no call, one interval of grace.
    expect((await h.monitor.runOnce()).checked).toEqual([]);
    const before = { a: meCalls(users.a), b: meCalls(users.b), c: meCalls(users.c) };
    // a publishes within the interval (X answered it): no users/me for a; b, idle, is asked.
    await fixture.seedReply(h.ids.a, alice, { bound: true });
    await h.publisher.runOnce();
    advance(INTERVAL);
    expect((await h.monitor.runOnce()).checked).toEqual(["b"]);
    expect(meCalls(users.a)).toBe(before.a);
    expect(meCalls(users.b)).toBe(before.b + 1);
    // Idle a whole interval: a is asked now; within the interval nobody is.
    advance(INTERVAL / 2);
    expect((await h.monitor.runOnce()).checked).toEqual([]);
    advance(INTERVAL / 2);
    expect((await h.monitor.runOnce()).checked).toEqual(["a", "b"]);
    // users/me nearly spent (1 call left of 10 in the window): skipped, not risked.
    x().setRateLimit("GET /2/users/me", 10, 900);
    for (let i = 0; i < 9; i++) await h.accounts.get(h.ids.b)!.client.me();
    advance(INTERVAL);
    await h.monitor.runOnce();
    advance(INTERVAL);
    const spent = meCalls(users.b);
    expect((await h.monitor.runOnce()).checked).toEqual(["a"]);
    expect(meCalls(users.b)).toBe(spent);
    expect(meCalls(users.c)).toBe(before.c);
  });

  it("a 403 'account suspended' while publishing: the reply goes back uncounted and out from another account; the account fails", async () => {
    const h = await buildPool();
    const free = await fixture.seedReply(h.ids.a, alice);
    x().setUserAccess(users.a.id, "suspended");
    expect(await h.publisher.runOnce()).toMatchObject({ published: 1, failed: 0 });
    const attempts = await db().select().from(publishAttempts).where(eq(publishAttempts.replyId, free.reply.id));
    expect(attempts.map((attempt) => attempt.accountId)).toEqual([h.ids.a, h.ids.b]);
    const [row] = await db().select().from(replies).where(eq(replies.id, free.reply.id));
    expect(row).toMatchObject({ status: "published", accountId: h.ids.b, attemptCount: 1 });
    expect(x().repliesTo(free.post.id).map((reply) => reply.author_id)).toEqual([users.b.id]);
    expect(await account(h.ids.a)).toMatchObject({ status: "failed", failureReason: expect.stringContaining("suspended") as unknown });
    expect(sessionNotices()).toEqual([{ kind: "session_failed", account: "a", reason: expect.stringContaining("suspended") as unknown }]);
    expect(notices.filter((notice) => notice.kind === "publication_failed")).toEqual([]);
  });
});
