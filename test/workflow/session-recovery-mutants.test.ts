/**
 * The boot verification at its edges: the reason a failed account carries is X's own message, the time it took is
 * measured on the wall clock by default, and once stopped it writes and reports nothing, even when an answer comes
 * back after the stop.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { xAccounts } from "../../src/db/schema.js";
import type { XAccount, XAccounts } from "../../src/workflow/accounts.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { startSessionRecovery, type SessionRecoverySettings } from "../../src/workflow/session-recovery.js";
import { registerFakeXAccounts, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";

const FAST: SessionRecoverySettings = { startupDelayMs: 0, timeoutMs: 2_000, maxRetries: 0, retryDelayMs: 10 };

describe("session recovery at its edges", () => {
  const { db, x } = useOwnDatabaseAndFakeX();
  let notices: WorkflowNotice[];
  const notify = (notice: WorkflowNotice) => void notices.push(notice);
  const meRequests = () => x().requests({ method: "GET", path: "/2/users/me" });
  const registry = () => registerFakeXAccounts(db(), x(), { good: "token-good" });
  const row = async () => (await db().select().from(xAccounts).where(eq(xAccounts.label, "good")))[0]!;

  beforeEach(() => {
    notices = [];
    x().addUser({ id: "830001", username: "good_one", accessToken: "token-good" });
  });

  it("the reason of a failed account is X's message itself, refused or unreachable", async () => {
    const accounts = await registry();
    x().setUserAccess("good_one", "revoked");
    const refused = await startSessionRecovery({ accounts, settings: FAST, notify }).done;
    expect(refused?.failed).toEqual([{ account: "good", reason: expect.stringMatching(/^X GET \/2\/users\/me failed: HTTP 401/) }]);

    expect((await row()).failureReason).toBe(refused?.failed[0]?.reason);

    x().setUserAccess("good_one", "ok");
    x().setDown(503);
    const unreachable = await startSessionRecovery({ accounts, settings: FAST, notify }).done;
    expect(unreachable?.failed).toEqual([{ account: "good", reason: expect.stringMatching(/^unreachable after 1 tries \(X GET \/2\/users\/me failed: HTTP 503/) }]);
  });

  it("without a clock of its own it reports the milliseconds it took as a whole number", async () => {
    const started = performance.now();
    const report = await startSessionRecovery({ accounts: await registry(), settings: FAST, notify }).done;
    const elapsed = performance.now() - started;
    expect(Number.isInteger(report?.tookMs)).toBe(true);
    expect(report!.tookMs).toBeGreaterThanOrEqual(0);
    expect(report!.tookMs).toBeLessThanOrEqual(Math.ceil(elapsed));
  });

  it("an answer that comes back after stop() is neither written nor reported", async () => {
    const accounts = await registry();
    const [real] = accounts.all();
    let answer: (me: { id: string; username: string }) => void = () => undefined;
    let asked = false;
    // A client whose users/me ignores the stop signal and answers when the test says so.
    const slow: XAccount = {
      ...real!,
      client: Object.create(real!.client, {
        me: {
          value: () => {
            asked = true;
            return new Promise((resolve) => {
              answer = resolve;
            });
          },
        },
      }) as XAccount["client"],
    };
    const pool = Object.create(accounts, { all: { value: () => [slow] } }) as XAccounts;
    const recovery = startSessionRecovery({ accounts: pool, settings: FAST, notify });
    await expect.poll(() => asked).toBe(true);

    const stopped = recovery.stop();
    answer({ id: "830001", username: "good_one" });
    await stopped;
    expect(await recovery.done).toBeUndefined();
    expect(notices).toEqual([]);
    expect((await row()).lastVerifiedAt).toBeNull();
  });

  it("stop() while the accounts are being read: users/me is never called", async () => {
    const accounts = await registry();
    const [real] = accounts.all();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reading = false;
    let calls = 0;
    // Counts the calls itself: the recovery must not lean on the client honouring an aborted signal.
    const counted: XAccount = {
      ...real!,
      client: Object.create(real!.client, {
        me: {
          value: (signal?: AbortSignal) => {
            calls++;
            return real!.client.me(signal);
          },
        },
      }) as XAccount["client"],
    };
    const gated = Object.create(accounts, {
      all: { value: () => [counted] },
      rows: {
        value: async () => {
          reading = true;
          await gate;
          return accounts.rows();
        },
      },
    }) as XAccounts;
    const recovery = startSessionRecovery({ accounts: gated, settings: FAST, notify });
    await expect.poll(() => reading).toBe(true);

    const stopped = recovery.stop();
    release();
    await stopped;
    expect(await recovery.done).toBeUndefined();
    expect(calls).toBe(0);
    expect(meRequests()).toEqual([]);
    expect(notices).toEqual([]);
  });
});
