/**
 * The boot verification of the X accounts against the fake X: each account not disabled is asked users/me within
 * the SESSION_RECOVERY_* bounds; refused ones fail at once with X's reason, unreachable ones after the retries, and
 * one notice reports it all.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { xAccounts } from "../../src/db/schema.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { startSessionRecovery, type SessionRecoverySettings } from "../../src/workflow/session-recovery.js";
import { registerFakeXAccounts, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";

const FAST: SessionRecoverySettings = { startupDelayMs: 0, timeoutMs: 2_000, maxRetries: 2, retryDelayMs: 10 };

describe("session recovery at boot", () => {
  const { db, x } = useOwnDatabaseAndFakeX();
  let notices: WorkflowNotice[];
  const meRequests = () => x().requests({ method: "GET", path: "/2/users/me" });

  /** The accounts with these labels, each the fake X's user holding the token `token-<label>`. */
  const registry = (...labels: string[]) => registerFakeXAccounts(db(), x(), Object.fromEntries(labels.map((label) => [label, `token-${label}`])));

  async function row(label: string) {
    const [found] = await db().select().from(xAccounts).where(eq(xAccounts.label, label));
    return found!;
  }

  beforeEach(() => {
    notices = [];
    x().addUser({ id: "820001", username: "good_one", accessToken: "token-good" });
    x().addUser({ id: "820002", username: "bad_one", accessToken: "token-bad" });
  });

  it("restores the accepted account, fails the revoked one with X's reason at once, and reports both in one notice", async () => {
    const accounts = await registry("good", "bad");
    x().setUserAccess("bad_one", "revoked");
    const recovery = startSessionRecovery({ accounts, settings: FAST, notify: (n) => notices.push(n) });
    const report = await recovery.done;

    expect(report?.restored).toEqual(["good"]);
    expect(report?.failed).toEqual([{ account: "bad", reason: expect.stringMatching(/users\/me failed: HTTP 401/) }]);
    expect(notices).toEqual([{ kind: "sessions_verified", ...report }]);
    expect(await row("good")).toMatchObject({ status: "active", xUserId: "820001", username: "good_one", failureReason: null });
    expect((await row("good")).lastVerifiedAt).toBeInstanceOf(Date);
    expect(await row("bad")).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/401/) });
    expect((await row("bad")).failedAt).toBeInstanceOf(Date);
    // A 401 is not retried: one users/me per account.
    expect(meRequests()).toHaveLength(2);
  });

  it("a suspended account and a plain 403 on users/me are refusals too: failed at once, not retried", async () => {
    x().setUserAccess("bad_one", "suspended");
    const suspended = await startSessionRecovery({ accounts: await registry("bad"), settings: FAST, notify: (n) => notices.push(n) }).done;
    expect(suspended?.failed).toEqual([{ account: "bad", reason: expect.stringMatching(/users\/me failed: HTTP 403.*suspended/) }]);
    x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 403 });
    const forbidden = await startSessionRecovery({ accounts: await registry("good"), settings: FAST, notify: (n) => notices.push(n) }).done;
    expect(forbidden?.failed).toEqual([{ account: "good", reason: expect.stringMatching(/users\/me failed: HTTP 403/) }]);
    expect(meRequests()).toHaveLength(2);
    expect((await row("good")).status).toBe("failed");
  });

  it("an answer that says nothing about the account (400) is retried, then failed as unverified; a later 200 restores", async () => {
    const accounts = await registry("good");
    x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 400 }, 3);
    const report = await startSessionRecovery({ accounts, settings: FAST, notify: (n) => notices.push(n) }).done;
    expect(report?.failed).toEqual([{ account: "good", reason: expect.stringMatching(/^unverified after 3 tries \(.*HTTP 400/) }]);
    expect(meRequests()).toHaveLength(3);
    x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 400 }, 2);
    expect(await startSessionRecovery({ accounts, settings: FAST, notify: (n) => notices.push(n) }).done).toMatchObject({ restored: ["good"], failed: [] });
  });

  it("an account X does not answer is retried maxRetries times, then failed as unreachable", async () => {
    const accounts = await registry("good");
    x().setDown(503);
    const report = await startSessionRecovery({ accounts, settings: FAST, notify: (n) => notices.push(n) }).done;
    expect(report?.failed).toEqual([{ account: "good", reason: expect.stringMatching(/^unreachable after 3 tries \(.*503/) }]);
    expect(meRequests()).toHaveLength(3);
    expect((await row("good")).status).toBe("failed");
  });

  it("each try is bounded by the timeout; a later try that answers restores the account", async () => {
    const accounts = await registry("good");
    x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "hang" }, 1);
    const started = performance.now();
    const report = await startSessionRecovery({ accounts, settings: { ...FAST, timeoutMs: 300 }, notify: (n) => notices.push(n) }).done;
    expect(report?.restored).toEqual(["good"]);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(meRequests()).toHaveLength(2);
  });

  it("a failed account that X accepts again is restored; a disabled one is never asked", async () => {
    const accounts = await registry("good", "bad");
    await accounts.setStatus(accounts.all()[0]!.id, "failed", "X rejected the credentials (401)");
    await db().update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.label, "bad"));
    const report = await startSessionRecovery({ accounts, settings: FAST, notify: (n) => notices.push(n) }).done;
    expect(report).toMatchObject({ restored: ["good"], failed: [] });
    expect(meRequests().map((request) => request.callerUserId)).toEqual(["820001"]);
    expect((await row("bad")).status).toBe("disabled");
    expect((await row("good")).status).toBe("active");
  });

  it("stop() during the startup delay ends it at once: nothing is asked, written or reported", async () => {
    const accounts = await registry("good");
    const recovery = startSessionRecovery({ accounts, settings: { ...FAST, startupDelayMs: 60_000 }, notify: (n) => notices.push(n) });
    await recovery.stop();
    expect(await recovery.done).toBeUndefined();
    expect(meRequests()).toEqual([]);
    expect(notices).toEqual([]);
    expect((await row("good")).lastVerifiedAt).toBeNull();
  });
  it("takes its time from the clock it is given, rounded, and tells the account's own notices nothing (the report covers it)", async () => {
    const own: WorkflowNotice[] = [];
    const accounts = await registerFakeXAccounts(db(), x(), { good: "token-good", bad: "token-bad" }, (n) => own.push(n));
    await accounts.setStatus(accounts.all()[0]!.id, "failed", "X rejected the credentials (401)", { quiet: true });
    x().setUserAccess("bad_one", "revoked");
    const ticks = [1_000, 2_234.6];
    const report = await startSessionRecovery({ accounts, settings: FAST, notify: (n) => notices.push(n), now: () => ticks.shift() ?? 0 }).done;
    expect(report).toEqual({ restored: ["good"], failed: [{ account: "bad", reason: expect.stringMatching(/401/) }], tookMs: 1_235 });
    expect(own).toEqual([]);
    expect(notices).toEqual([{ kind: "sessions_verified", ...report }]);
  });

  it("the first try goes out at once; only a retry waits retryDelayMs, and maxRetries 0 means one try", async () => {
    const accounts = await registry("good");
    const started = performance.now();
    expect(await startSessionRecovery({ accounts, settings: { ...FAST, retryDelayMs: 60_000 }, notify: (n) => notices.push(n) }).done).toMatchObject({
      restored: ["good"],
    });
    expect(performance.now() - started).toBeLessThan(10_000);

    x().setDown(503);
    const once = await startSessionRecovery({ accounts, settings: { ...FAST, maxRetries: 0 }, notify: (n) => notices.push(n) }).done;
    expect(once?.failed).toEqual([{ account: "good", reason: expect.stringMatching(/^unreachable after 1 tries \(/) }]);
    expect(meRequests()).toHaveLength(2);

    const waited = performance.now();
    await startSessionRecovery({ accounts, settings: { ...FAST, maxRetries: 1, retryDelayMs: 400 }, notify: (n) => notices.push(n) }).done;
    expect(performance.now() - waited).toBeGreaterThanOrEqual(390);
    expect(meRequests()).toHaveLength(4);
  });

  it("stop() while waiting to retry ends it: nothing more is asked, written or reported", async () => {
    const accounts = await registry("good");
    x().setDown(503);
    const recovery = startSessionRecovery({ accounts, settings: { ...FAST, retryDelayMs: 60_000 }, notify: (n) => notices.push(n) });
    await expect.poll(() => meRequests().length).toBe(1);
    await recovery.stop();
    expect(await recovery.done).toBeUndefined();
    expect(meRequests()).toHaveLength(1);
    expect(notices).toEqual([]);
    expect((await row("good")).status).toBe("active");
  });

  it("a failure that is not a stop (the database, reading the accounts) rejects its outcome", async () => {
    const accounts = await registry("good");
    const broken = Object.create(accounts, { rows: { value: () => Promise.reject(new Error("database gone")) } }) as typeof accounts;
    const recovery = startSessionRecovery({ accounts: broken, settings: FAST, notify: (n) => notices.push(n) });
    await expect(recovery.done).rejects.toThrow("database gone");
    await recovery.stop();
    expect(notices).toEqual([]);
  });
});
