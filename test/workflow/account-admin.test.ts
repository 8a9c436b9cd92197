/**
 * The `/accounts` actions and the list behind them, straight on the workflow services (the bot feature only shows
 * these lines): each action answered in one line naming the account, a refusal saying why (X's 401, 403, an outage,
 * a resting breaker, a taken label) and changing nothing, the pool told only after a change; the list with each
 * account's load, limits and rate-limit wait; a removal asking about the replies only that account may publish.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { BrokenCircuitError } from "cockatiel";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { posts, publishAttempts, replies, xAccounts } from "../../src/db/schema.js";
import type { ReplyStatus } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import { createAccountAdmin } from "../../src/workflow/account-admin.js";
import { clientCredentialsOf, createAccountStore, type AccountSecrets, type XClientFactory } from "../../src/workflow/account-store.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import { createAccountsView } from "../../src/workflow/accounts-view.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient } from "../../src/x/types.js";
import { fakeXClient, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import { WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const TOKEN = "admin-test-access-token-1";
const MAIN_TOKEN = "admin-test-main-token-2";
const HOUR = 3_600_000;
const NOW = new Date("2026-06-01T12:00:00Z");

const oauth1 = (accessToken = TOKEN): AccountSecrets => ({
  authKind: "oauth1",
  credentials: { appKey: "app-key", appSecret: "app-secret", accessToken, accessSecret: "access-secret" },
});

describe.each(databaseTargets())("/accounts actions and list on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  let poolChanges: number;
  /** What the next stored client does instead of asking X, when set. */
  let clientOverride: ((client: XAccountClient) => XAccountClient) | undefined;

  const makeClient: XClientFactory = (_label, secrets) => {
    const client = createXAccountClient({ apiRoot: x().baseUrl, credentials: clientCredentialsOf(secrets), requestTimeoutMs: 5_000 });
    return clientOverride ? clientOverride(client) : client;
  };

  /** The pool with the env account `main` (no X identity read yet), its store, the actions and the list. */
  async function build() {
    const accounts = await XAccounts.register(db(), new Map([["main", fakeXClient(x(), MAIN_TOKEN)]]));
    const store = createAccountStore({ db: db(), accounts, box: new SecretBox(randomBytes(32)), makeClient, resetBreaker: () => undefined });
    const admin = createAccountAdmin({ db: db(), store, accounts, canStore: true, onPoolChanged: () => poolChanges++ });
    const view = createAccountsView({
      db: db(),
      accounts,
      settings: new SettingsStore(db(), { ...WORKFLOW_TEST_DEFAULTS, maxPostsPerHour: 7, maxPostsPerDay: 70 }),
      now: () => NOW,
    });
    return { accounts, store, admin, view };
  }

  let seq = 0;
  /** A reply in `status` whose post summoned the account (`bound`) or not. */
  async function seedReply(accountId: number, status: ReplyStatus, bound = true, needsReconcile = false) {
    seq++;
    const tweetId = `9${seq}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: "1", authorUsername: "alice", text: "hi", source: "mention", sourceDetail: "", accountId, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({
        postTweetId: tweetId,
        accountId,
        boundAccountId: bound ? accountId : null,
        status,
        draft: "an answer",
        weightedLength: 9,
        expiresAt: new Date(Date.now() + 24 * HOUR),
        needsReconcile,
      })
      .returning();
    return reply!;
  }

  const statusOf = async (id: number) => (await db().select().from(replies).where(eq(replies.id, id)))[0]!;

  beforeEach(() => {
    poolChanges = 0;
    clientOverride = undefined;
    x().addUser({ id: "820001", username: "second_acct", accessToken: TOKEN });
    x().addUser({ id: "820002", username: "main_acct", accessToken: MAIN_TOKEN });
  });

  describe("add", () => {
    it("verified with X: answers with the X handle and label, and the pool is told once", async () => {
      const { admin, accounts } = await build();
      expect(admin.canStore).toBe(true);
      expect(await admin.add("second", oauth1())).toEqual({ ok: true, message: "Added @second_acct as second." });
      expect(poolChanges).toBe(1);
      expect(accounts.all().map((account) => account.label)).toEqual(["main", "second"]);
    });

    it.each([
      ["revoked", "X refused these credentials (401): check the access token and secret, and that the app issued them. Nothing was stored."],
      ["suspended", "X refused this account (403): it may be suspended or locked. Nothing was stored."],
    ] as const)("credentials X answers as %s: says why, stores nothing, tells nobody", async (access, message) => {
      const { admin } = await build();
      x().setUserAccess("second_acct", access);
      expect(await admin.add("second", oauth1())).toEqual({ ok: false, message });
      expect(await db().select().from(xAccounts).where(eq(xAccounts.label, "second"))).toEqual([]);
      expect(poolChanges).toBe(0);
    });

    it("a 403 that is not a suspension (a locked account) is refused the same way", async () => {
      const { admin } = await build();
      x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 403 });
      expect(await admin.add("second", oauth1())).toEqual({ ok: false, message: "X refused this account (403): it may be suspended or locked. Nothing was stored." });
    });

    it("X failing (500) or a resting breaker: try again later; a taken label is named", async () => {
      const { admin } = await build();
      x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 503 });
      expect(await admin.add("second", oauth1())).toEqual({
        ok: false,
        message: "X could not verify the account (server error); try again later. Nothing was stored.",
      });
      clientOverride = (client) => ({ ...client, me: () => Promise.reject(new BrokenCircuitError()) });
      expect(await admin.add("second", oauth1())).toEqual({
        ok: false,
        message: "X is resting after failures (circuit open); try again later. Nothing was stored.",
      });
      clientOverride = undefined;
      expect(await admin.add("main", oauth1())).toEqual({ ok: false, message: "The label main is taken. Nothing was stored." });
      expect(poolChanges).toBe(0);
    });

    it("an error that is not a refusal is not turned into one", async () => {
      const { admin } = await build();
      clientOverride = (client) => ({ ...client, me: () => Promise.reject(new TypeError("a bug")) });
      await expect(admin.add("second", oauth1())).rejects.toThrow("a bug");
    });
  });

  describe("disable and enable", () => {
    it("names the account with its handle; a second disable or enable is refused; an unknown label is named", async () => {
      const { admin } = await build();
      await admin.add("second", oauth1());
      poolChanges = 0;
      expect(await admin.disable("nobody")).toEqual({ ok: false, message: "No account nobody." });
      expect(await admin.enable("nobody")).toEqual({ ok: false, message: "No account nobody." });
      expect(await admin.enable("second")).toEqual({ ok: false, message: "second is already active." });
      expect(poolChanges).toBe(0);

      expect(await admin.disable("second")).toEqual({
        ok: true,
        message: "Disabled second (@second_acct): it gets no work until /accounts enable second.",
      });
      expect(poolChanges).toBe(1);
      expect(await admin.disable("second")).toEqual({ ok: false, message: "second is already disabled." });
      expect(poolChanges).toBe(1);

      expect(await admin.enable("second")).toEqual({ ok: true, message: "Enabled second (@second_acct): X accepted it." });
      expect(poolChanges).toBe(2);
      const [row] = await db().select().from(xAccounts).where(eq(xAccounts.label, "second"));
      expect(row?.status).toBe("active");
    });

    it("an env account without a known X handle is named by its label alone", async () => {
      const { admin } = await build();
      expect(await admin.disable("main")).toEqual({ ok: true, message: "Disabled main: it gets no work until /accounts enable main." });
    });

    it("enabling an account X no longer accepts keeps it out of the pool, with X's reason; the pool is still told", async () => {
      const { admin } = await build();
      await admin.add("second", oauth1());
      await admin.disable("second");
      poolChanges = 0;
      x().setUserAccess("second_acct", "revoked");
      const result = await admin.enable("second");
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(/^second stays out of the pool: X did not accept it \(.*401.*\)\.$/);
      expect(poolChanges).toBe(1);
    });
  });

  describe("remove", () => {
    it("refuses an env account and one no longer in the pool", async () => {
      const { admin, accounts } = await build();
      const main = accounts.all()[0]!;
      expect(await admin.remove(main.id, "cancel")).toEqual({ ok: false, message: "main comes from the environment: remove it there (or disable it)." });
      expect(await admin.remove(999_999, "cancel")).toEqual({ ok: false, message: "This account is no longer in the pool." });
      expect(poolChanges).toBe(0);
    });

    it("keep: the bound waiting replies stay bound for a re-add", async () => {
      const { admin, accounts } = await build();
      await admin.add("second", oauth1());
      const id = accounts.all().find((account) => account.label === "second")!.id;
      const waiting = await seedReply(id, "awaiting_approval");
      poolChanges = 0;
      expect(await admin.remove(id, "keep")).toEqual({ ok: true, message: "Removed second (@second_acct); its bound replies wait for it to be added again." });
      expect(poolChanges).toBe(1);
      expect((await statusOf(waiting.id)).status).toBe("awaiting_approval");
      expect(accounts.all().map((account) => account.label)).toEqual(["main"]);
    });

    it("cancel: the bound waiting replies are cancelled with the reason and counted; free ones and a maybe-posted one stay", async () => {
      const { admin, accounts } = await build();
      await admin.add("second", oauth1());
      const id = accounts.all().find((account) => account.label === "second")!.id;
      const awaiting = await seedReply(id, "awaiting_approval");
      const approved = await seedReply(id, "approved");
      const free = await seedReply(id, "awaiting_approval", false);
      const maybePosted = await seedReply(id, "approved", true, true);
      expect(await admin.remove(id, "cancel")).toEqual({ ok: true, message: "Removed second (@second_acct); 2 bound replies cancelled." });
      expect(await statusOf(awaiting.id)).toMatchObject({ status: "cancelled", failureReason: "second (@second_acct) was removed" });
      expect((await statusOf(approved.id)).status).toBe("cancelled");
      expect((await statusOf(free.id)).status).toBe("awaiting_approval");
      expect((await statusOf(maybePosted.id)).status).toBe("approved");
    });

    it("cancel counts one reply in the singular, none without a count", async () => {
      const { admin, accounts } = await build();
      await admin.add("second", oauth1());
      let id = accounts.all().find((account) => account.label === "second")!.id;
      await seedReply(id, "approved");
      expect(await admin.remove(id, "cancel")).toEqual({ ok: true, message: "Removed second (@second_acct); 1 bound reply cancelled." });
      await admin.add("second", oauth1());
      id = accounts.all().find((account) => account.label === "second")!.id;
      expect(await admin.remove(id, "cancel")).toEqual({ ok: true, message: "Removed second (@second_acct)." });
    });
  });

  describe("the list", () => {
    it("each account in the pool's order: status and reason, origin, auth kind, posts against its limits", async () => {
      const { admin, accounts, view } = await build();
      await admin.add("second", oauth1());
      const [main, second] = accounts.all();
      await db().update(xAccounts).set({ maxPostsPerHour: 3, maxPostsPerDay: 30, status: "failed", failureReason: "X said no" }).where(eq(xAccounts.id, second!.id));
      // Attempts of `second`: 30 minutes ago, 5 hours ago, 2 days ago, and one that failed (it did not post).
      const reply = await seedReply(second!.id, "published");
      const attempt = (minutesAgo: number, outcome: string | null) =>
        ({ id: randomUUID(), replyId: reply.id, accountId: second!.id, startedAt: new Date(NOW.getTime() - minutesAgo * 60_000), outcome }) as const;
      await db().insert(publishAttempts).values([attempt(30, "posted"), attempt(300, "posted"), attempt(2 * 24 * 60, "posted"), attempt(10, "failed")]);

      const lines = await view.list();
      expect(lines.map((line) => line.label)).toEqual(["main", "second"]);
      expect(lines[0]).toMatchObject({
        id: main!.id,
        // Asked of X when the second was added: storing an account first learns who the env accounts are.
        username: "main_acct",
        status: "active",
        failureReason: null,
        origin: "env",
        authKind: "oauth1",
        postsLastHour: 0,
        postsLastDay: 0,
        maxPerHour: 7,
        maxPerDay: 70,
        rateLimitedUntil: undefined,
        liveWindow: undefined,
        lastVerifiedAt: null,
      });
      expect(lines[1]).toMatchObject({
        id: second!.id,
        username: "second_acct",
        status: "failed",
        failureReason: "X said no",
        origin: "stored",
        postsLastHour: 1,
        postsLastDay: 2,
        maxPerHour: 3,
        maxPerDay: 30,
      });
      expect(lines[1]!.lastVerifiedAt).toBeInstanceOf(Date);
    });

    it("shows a rate-limit wait only while it lasts, and X's POST window only until it resets", async () => {
      const { accounts, view } = await build();
      const main = accounts.all()[0]!;
      await db().update(xAccounts).set({ rateLimitedUntil: new Date(NOW.getTime() + 60_000) }).where(eq(xAccounts.id, main.id));
      expect((await view.list())[0]!.rateLimitedUntil).toEqual(new Date(NOW.getTime() + 60_000));
      await db().update(xAccounts).set({ rateLimitedUntil: new Date(NOW.getTime() - 60_000) }).where(eq(xAccounts.id, main.id));
      expect((await view.list())[0]!.rateLimitedUntil).toBeUndefined();
      // A wait that ends now is over.
      await db().update(xAccounts).set({ rateLimitedUntil: NOW }).where(eq(xAccounts.id, main.id));
      expect((await view.list())[0]!.rateLimitedUntil).toBeUndefined();

      const windows = (resetAt: Date) => new Map([["POST /2/tweets", { limit: 100, remaining: 0, resetAt }], ["GET /2/users/me", { limit: 75, remaining: 0, resetAt }]]);
      const live = { limit: 100, remaining: 0, resetAt: new Date(NOW.getTime() + 1_000) };
      accounts.add({ ...main, client: { ...main.client, rateLimits: () => windows(live.resetAt) } });
      expect((await view.list())[0]!.liveWindow).toEqual(live);
      accounts.add({ ...main, client: { ...main.client, rateLimits: () => windows(NOW) } });
      expect((await view.list())[0]!.liveWindow).toBeUndefined();
      accounts.add({ ...main, client: { ...main.client, rateLimits: () => new Map() } });
      expect((await view.list())[0]!.liveWindow).toBeUndefined();
    });

    it("without a clock of its own, reads the real time", async () => {
      const { accounts } = await build();
      const view = createAccountsView({ db: db(), accounts, settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS) });
      const inAnHour = new Date(Date.now() + HOUR);
      await db().update(xAccounts).set({ rateLimitedUntil: inAnHour }).where(eq(xAccounts.label, "main"));
      expect((await view.list())[0]!.rateLimitedUntil).toEqual(inAnHour);
    });

    it("leaves out an account whose row is gone", async () => {
      const { admin, accounts, view } = await build();
      await admin.add("second", oauth1());
      await db().delete(xAccounts).where(eq(xAccounts.label, "second"));
      expect(accounts.all()).toHaveLength(2);
      expect((await view.list()).map((line) => line.label)).toEqual(["main"]);
    });

    it("a label is taken by any row, in the pool or not", async () => {
      const { view } = await build();
      expect(await view.labelTaken("main")).toBe(true);
      expect(await view.labelTaken("second")).toBe(false);
      await db().insert(xAccounts).values({ label: "elsewhere" });
      expect(await view.labelTaken("elsewhere")).toBe(true);
    });

    it("a removal candidate counts only its bound replies that still wait (awaiting approval or approved)", async () => {
      const { admin, accounts, view } = await build();
      await admin.add("second", oauth1());
      const id = accounts.all().find((account) => account.label === "second")!.id;
      await seedReply(id, "awaiting_approval");
      await seedReply(id, "approved");
      await seedReply(id, "published");
      await seedReply(id, "approved", false);
      const expected = { id, label: "second", username: "second_acct", origin: "stored", boundReplies: 2 };
      expect(await view.removalCandidate("second")).toEqual(expected);
      expect(await view.removalCandidateById(id)).toEqual(expected);
      expect(await view.removalCandidate("main")).toMatchObject({ label: "main", origin: "env", boundReplies: 0 });
      expect(await view.removalCandidate("nobody")).toBeUndefined();
      expect(await view.removalCandidateById(999_999)).toBeUndefined();
    });
  });
});

