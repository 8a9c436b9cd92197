/**
 * The X account registry against a real database and the fake X: env accounts get one row each however often the
 * process boots, the X identity is asked of X only while the row lacks it, a status change is written once and
 * told once (never for a disabled account, never when quiet), accounts join and leave with their listeners told,
 * and an exhausted rate-limit window outlives the process as the row's `rate_limited_until`.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { xAccounts } from "../../src/db/schema.js";
import { XAccounts, type XAccount } from "../../src/workflow/accounts.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import type { XAccountClient, XRateLimit } from "../../src/x/types.js";
import { fakeXClient, registerFakeXAccounts, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";

const TOKENS = { first: "registry-token-1", second: "registry-token-2" } as const;
const MINUTE = 60_000;

describe.each(databaseTargets())("X account registry on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let notices: WorkflowNotice[];

  beforeEach(() => {
    notices = [];
    x().addUser({ id: "830001", username: "first_user", accessToken: TOKENS.first });
    x().addUser({ id: "830002", username: "second_user", accessToken: TOKENS.second });
  });

  const register = () => registerFakeXAccounts(db(), x(), TOKENS, (notice) => notices.push(notice));
  const rowOf = async (id: number) => (await db().select().from(xAccounts).where(eq(xAccounts.id, id)))[0]!;
  const meRequests = () => x().requests({ method: "GET", path: "/2/users/me" }).length;

  it("a second boot finds the env accounts' rows by label: same ids, no second row, configuration order kept", async () => {
    const boot = await register();
    const again = await register();
    expect(again.all().map(({ id, label }) => ({ id, label }))).toEqual(boot.all().map(({ id, label }) => ({ id, label })));
    expect(again.all().map((account) => account.label)).toEqual(["first", "second"]);
    expect(await db().select().from(xAccounts)).toHaveLength(2);
  });

  it("looks an account up by id and lists only its own accounts' rows", async () => {
    const pool = await register();
    const [first] = pool.all();
    expect(pool.get(first!.id)?.label).toBe("first");
    expect(pool.get(first!.id + 1000)).toBeUndefined();
    // A row the registry has no client for (another process's account) is not one of its rows.
    await db().insert(xAccounts).values({ label: "elsewhere" });
    expect((await pool.rows()).map((row) => row.label).sort()).toEqual(["first", "second"]);
  });

  it("counts the calls X answered for each account, from zero, and none that X refused", async () => {
    const pool = await register();
    const [first, second] = pool.all() as [XAccount, XAccount];
    expect(pool.successes(first.id)).toBe(0);
    await first.client.me();
    await first.client.me();
    expect(pool.successes(first.id)).toBe(2);
    x().setUserAccess("second_user", "revoked");
    await expect(second.client.me()).rejects.toThrow();
    expect(pool.successes(second.id)).toBe(0);
  });

  it("asks X for the identity only while the row lacks the user id or the username, then stores both", async () => {
    const pool = await register();
    const [first] = pool.all() as [XAccount];
    expect(await pool.identity(first)).toEqual({ userId: "830001", username: "first_user" });
    expect(await rowOf(first.id)).toMatchObject({ xUserId: "830001", username: "first_user" });
    const asked = meRequests();
    expect(await pool.identity(first)).toEqual({ userId: "830001", username: "first_user" });
    expect(meRequests()).toBe(asked);

    // Half an identity is no identity: X is asked again in either case.
    await db().update(xAccounts).set({ username: null }).where(eq(xAccounts.id, first.id));
    expect(await pool.identity(first)).toEqual({ userId: "830001", username: "first_user" });
    expect(meRequests()).toBe(asked + 1);
    await db().update(xAccounts).set({ xUserId: null }).where(eq(xAccounts.id, first.id));
    expect(await pool.identity(first)).toEqual({ userId: "830001", username: "first_user" });
    expect(meRequests()).toBe(asked + 2);
  });

  it("fails an account once with its reason and brings it back once, telling each change and nothing else", async () => {
    const pool = await register();
    const [first] = pool.all() as [XAccount];

    expect(await pool.setStatus(first.id, "active")).toBe(false);
    expect(await pool.setStatus(first.id, "failed", "X has not answered it for 12 min")).toBe(true);
    const failed = await rowOf(first.id);
    expect(failed).toMatchObject({ status: "failed", failureReason: "X has not answered it for 12 min" });
    expect(failed.failedAt).toBeInstanceOf(Date);
    // Failed again: the first reason and time stay, nobody is told twice.
    expect(await pool.setStatus(first.id, "failed", "another reason")).toBe(false);
    expect(await rowOf(first.id)).toMatchObject({ status: "failed", failureReason: "X has not answered it for 12 min", failedAt: failed.failedAt });

    expect(await pool.setStatus(first.id, "active")).toBe(true);
    expect(await rowOf(first.id)).toMatchObject({ status: "active", failureReason: null, failedAt: null });
    expect(notices).toEqual([
      { kind: "session_failed", account: "first", reason: "X has not answered it for 12 min" },
      { kind: "session_recovered", account: "first" },
    ]);
  });

  it("without a reason the account fails because X rejected the credentials", async () => {
    const pool = await register();
    const [first] = pool.all() as [XAccount];
    await pool.setStatus(first.id, "failed");
    expect(await rowOf(first.id)).toMatchObject({ status: "failed", failureReason: "X rejected the credentials" });
    expect(notices).toEqual([{ kind: "session_failed", account: "first", reason: "X rejected the credentials" }]);
  });

  it("a quiet change is written but not told; a disabled account is neither failed nor brought back", async () => {
    const pool = await register();
    const [first, second] = pool.all() as [XAccount, XAccount];
    expect(await pool.setStatus(first.id, "failed", "boot check", { quiet: true })).toBe(true);
    expect(await rowOf(first.id)).toMatchObject({ status: "failed", failureReason: "boot check" });
    expect(await pool.setStatus(first.id, "active", undefined, { quiet: true })).toBe(true);
    expect((await rowOf(first.id)).status).toBe("active");

    await db().update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.id, second.id));
    expect(await pool.setStatus(second.id, "failed", "refused")).toBe(false);
    expect(await pool.setStatus(second.id, "active")).toBe(false);
    expect(await rowOf(second.id)).toMatchObject({ status: "disabled", failureReason: null });
    expect(notices).toEqual([]);
  });

  it("a row the registry holds no account for changes status without a notice (no label to name)", async () => {
    const pool = await register();
    const [other] = await db().insert(xAccounts).values({ label: "elsewhere" }).returning();
    expect(await pool.setStatus(other!.id, "failed", "refused")).toBe(true);
    expect((await rowOf(other!.id)).status).toBe("failed");
    expect(notices).toEqual([]);
  });

  it("a verified account gets its identity and check time; it comes back quietly unless told otherwise", async () => {
    const pool = await register();
    const [first, second] = pool.all() as [XAccount, XAccount];
    await pool.setStatus(first.id, "failed", "refused", { quiet: true });
    expect(await pool.markVerified(first.id, { id: "830001", username: "first_renamed" })).toBe(true);
    const verified = await rowOf(first.id);
    expect(verified).toMatchObject({ status: "active", xUserId: "830001", username: "first_renamed", failureReason: null });
    expect(verified.lastVerifiedAt).toBeInstanceOf(Date);
    expect(notices).toEqual([]);
    // Active already: verified again, but it did not come back.
    expect(await pool.markVerified(first.id, { id: "830001", username: "first_user" })).toBe(false);

    await pool.setStatus(second.id, "failed", "refused", { quiet: true });
    expect(await pool.markVerified(second.id, { id: "830002", username: "second_user" }, { quiet: false })).toBe(true);
    expect(notices).toEqual([{ kind: "session_recovered", account: "second" }]);
  });

  it("an added account joins (replacing one with its id), counted like the others; a forgotten one leaves, told once", async () => {
    const pool = await register();
    const [first, second] = pool.all() as [XAccount, XAccount];
    const changes: string[] = [];
    pool.onChange(({ added, removed }) => changes.push(added ? `+${added.label}` : `-${removed?.label}`));
    pool.onChange(({ added, removed }) => changes.push(`again ${added?.label ?? removed?.label}`));

    const [row] = await db().insert(xAccounts).values({ label: "third", origin: "stored" }).returning();
    const client = fakeXClient(x(), TOKENS.second);
    pool.add({ id: row!.id, label: "third", client });
    expect(pool.all().map((account) => account.label)).toEqual(["first", "second", "third"]);
    await pool.get(row!.id)!.client.me();
    expect(pool.successes(row!.id)).toBe(1);

    // The same id again (new credentials): one entry, the new client.
    pool.add({ id: second.id, label: "second", client: fakeXClient(x(), TOKENS.first) });
    expect(pool.all().map((account) => account.label)).toEqual(["first", "third", "second"]);
    expect((await pool.get(second.id)!.client.me()).username).toBe("first_user");

    pool.forget(first.id);
    pool.forget(first.id);
    expect(pool.all().map((account) => account.label)).toEqual(["third", "second"]);
    expect(pool.get(first.id)).toBeUndefined();
    expect(changes).toEqual(["+third", "again third", "+second", "again second", "-first", "again first"]);
  });

  describe("rate-limit windows", () => {
    /** A registry whose accounts report the given rate-limit windows (what their clients saw from X). */
    async function withWindows(windows: Record<keyof typeof TOKENS, XRateLimit[]>) {
      const clients = new Map<string, XAccountClient>(
        (Object.keys(TOKENS) as (keyof typeof TOKENS)[]).map((label) => {
          const client = fakeXClient(x(), TOKENS[label]);
          const seen = new Map(windows[label].map((window, index) => [`GET /window/${index}`, window]));
          return [label, { ...client, rateLimits: () => seen }];
        }),
      );
      const pool = await XAccounts.register(db(), clients, (notice) => notices.push(notice));
      const [first, second] = pool.all() as [XAccount, XAccount];
      return { pool, first, second };
    }
    const window = (remaining: number, resetAt: Date): XRateLimit => ({ limit: 75, remaining, resetAt });

    it("preserve: the latest reset of the windows X reported exhausted becomes rate_limited_until", async () => {
      const now = new Date("2026-06-01T12:00:00Z");
      const soon = new Date(now.getTime() + 5 * MINUTE);
      const later = new Date(now.getTime() + 15 * MINUTE);
      const { pool, first, second } = await withWindows({
        first: [window(0, soon), window(0, later), window(3, new Date(now.getTime() + 60 * MINUTE))],
        // Calls left, or a window that has already reset: nothing to wait for.
        second: [window(1, later), window(0, now), window(0, new Date(now.getTime() - MINUTE))],
      });
      expect(await pool.preserve(now)).toEqual({ sessions: 2, windows: 1 });
      expect((await rowOf(first.id)).rateLimitedUntil).toEqual(later);
      expect((await rowOf(second.id)).rateLimitedUntil).toBeNull();
    });

    it("preserve counts each account's windows once and the sessions of accounts not disabled", async () => {
      const now = new Date("2026-06-01T12:00:00Z");
      const reset = new Date(now.getTime() + 5 * MINUTE);
      const { pool, first, second } = await withWindows({ first: [window(0, reset)], second: [window(-1, reset), window(0, reset)] });
      expect(await pool.preserve(now)).toEqual({ sessions: 2, windows: 2 });
      expect((await rowOf(second.id)).rateLimitedUntil).toEqual(reset);

      await db().update(xAccounts).set({ status: "disabled", rateLimitedUntil: null }).where(eq(xAccounts.id, first.id));
      await db().update(xAccounts).set({ status: "failed" }).where(eq(xAccounts.id, second.id));
      expect(await pool.preserve(now)).toEqual({ sessions: 1, windows: 1 });
      expect((await rowOf(first.id)).rateLimitedUntil).toBeNull();
    });

    it("a hold only ever moves later, and a 429 tells the admin until when", async () => {
      const { pool, first } = await withWindows({ first: [], second: [] });
      const later = new Date("2026-06-01T12:15:00Z");
      const earlier = new Date("2026-06-01T12:05:00Z");
      await pool.rateLimitUntil(first.id, earlier);
      expect((await rowOf(first.id)).rateLimitedUntil).toEqual(earlier);
      await pool.rateLimitUntil(first.id, later);
      expect((await rowOf(first.id)).rateLimitedUntil).toEqual(later);
      await pool.rateLimitUntil(first.id, earlier);
      expect((await rowOf(first.id)).rateLimitedUntil).toEqual(later);
      expect(notices).toEqual([
        { kind: "rate_limited", account: "first", until: earlier },
        { kind: "rate_limited", account: "first", until: later },
        { kind: "rate_limited", account: "first", until: earlier },
      ]);
    });

    it("a 429 for a row the registry holds no account for is held without a notice", async () => {
      const { pool } = await withWindows({ first: [], second: [] });
      const [other] = await db().insert(xAccounts).values({ label: "elsewhere" }).returning();
      const until = new Date("2026-06-01T12:15:00Z");
      await pool.rateLimitUntil(other!.id, until);
      expect((await rowOf(other!.id)).rateLimitedUntil).toEqual(until);
      expect(notices).toEqual([]);
    });
  });
});
