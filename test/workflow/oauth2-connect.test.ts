/**
 * Connecting an X account in OAuth 2.0 user context, straight on the workflow service against the fake X: a link
 * is refused up front naming what is missing, stores only the state's hash and the sealed verifier, and works once
 * and for its time; X's callback is answered with the page's status and words (denied, bad code, X down, a
 * session X would not take, an account the environment owns), tokens not kept are given back, and the admin chat
 * is told what happened (connected, reconnected, reconnected but still disabled).
 */
import { createHash, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { xAccounts, xOAuthRequests } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import { clientCredentialsOf, createAccountStore, type XClientFactory } from "../../src/workflow/account-store.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import { createOAuth2Connect, OAUTH2_CONNECT_TTL_MS, type OAuth2ConnectDeps } from "../../src/workflow/oauth2-connect.js";
import { createXOAuth2App, type XOAuth2App } from "../../src/x/oauth2.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { fakeXClient, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";

const CLIENT_ID = "connect-client-id";
const CLIENT_SECRET = "connect-client-secret-5521";
const REDIRECT_URI = "https://bot.example/oauth/x/callback";
const ENV_TOKEN = "connect-env-token-1";
const HOUR = 3_600_000;

describe.each(databaseTargets())("OAuth 2.0 connect on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  const box = new SecretBox(randomBytes(32));
  let app: XOAuth2App;
  let user: FakeXUser;
  let told: string[];
  let poolChanges: number;
  let accounts: XAccounts;

  const makeClient: XClientFactory = (_label, secrets) =>
    createXAccountClient({ apiRoot: x().baseUrl, credentials: clientCredentialsOf(secrets), requestTimeoutMs: 5_000 });

  /** The connect service over a pool holding the env account `main`; `overrides` change its settings. */
  async function build(overrides: Partial<OAuth2ConnectDeps> = {}) {
    accounts = await XAccounts.register(db(), new Map([["main", fakeXClient(x(), ENV_TOKEN)]]));
    const store = createAccountStore({ db: db(), accounts, box, makeClient, resetBreaker: () => undefined });
    return createOAuth2Connect({
      db: db(),
      app,
      missing: [],
      box,
      store,
      onPoolChanged: () => poolChanges++,
      tellAdmins: (html) => {
        told.push(html);
        return Promise.resolve();
      },
      ...overrides,
    });
  }

  /** The user clicks "Authorize app" on the link: X's redirect back, as the callback reads it. */
  function approve(url: string, who: FakeXUser = user) {
    const redirect = new URL(x().approveAuthorizationLink(url, who.id));
    return { state: redirect.searchParams.get("state")!, code: redirect.searchParams.get("code")! };
  }

  const stateOf = (url: string) => new URL(url).searchParams.get("state")!;

  beforeEach(async () => {
    await db().delete(xOAuthRequests);
    told = [];
    poolChanges = 0;
    user = x().addUser({ id: "830001", username: "oauth_user" });
    x().addUser({ id: "830002", username: "env_user", accessToken: ENV_TOKEN });
    x().addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] });
    app = createXOAuth2App({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI, apiRoot: x().baseUrl, requestTimeoutMs: 2_000 });
  });

  describe("start", () => {
    it("refuses up front, naming what is missing: the settings, the key, a good label, a label the environment owns", async () => {
      const unconfigured = await build({ app: undefined, missing: ["X_CLIENT_ID", "PUBLIC_URL"] });
      await expect(unconfigured.start("two", 1)).rejects.toThrow("Connecting X accounts needs X_CLIENT_ID and PUBLIC_URL (see .env.example).");
      await expect(unconfigured.start("two", 1)).rejects.toMatchObject({ name: "ConnectError" });
      const keyless = await build({ box: undefined });
      await expect(keyless.start("two", 1)).rejects.toThrow("Accounts cannot be stored without ENCRYPTION_KEY (DATABASE_URL is set).");
      const connect = await build();
      for (const label of ["", "a b", "x".repeat(33), "two!"]) await expect(connect.start(label, 1)).rejects.toThrow("A label is 1–32 letters, digits, _ . or -.");
      await expect(connect.start("main", 1)).rejects.toThrow("main comes from the environment: its credentials are set there.");
      expect(await db().select().from(xOAuthRequests)).toEqual([]);
      await expect(connect.start("x".repeat(32), 1)).resolves.toMatchObject({ url: expect.any(String) });
      await expect(connect.start("a.b-c_9", 1)).resolves.toMatchObject({ url: expect.any(String) });
    });

    it("stores the pending connect: the state's hash, the verifier sealed, who asked, valid for ten minutes", async () => {
      const connect = await build();
      const before = Date.now();
      const { url, expiresAt } = await connect.start("two", 4242);
      const after = Date.now();
      expect(url.startsWith("https://x.com/i/oauth2/authorize?")).toBe(true);
      expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + OAUTH2_CONNECT_TTL_MS);
      expect(expiresAt.getTime()).toBeLessThanOrEqual(after + OAUTH2_CONNECT_TTL_MS);
      const [row] = await db().select().from(xOAuthRequests);
      expect(row).toMatchObject({ stateHash: createHash("sha256").update(stateOf(url)).digest("hex"), label: "two", requestedBy: 4242, usedAt: null });
      expect(row!.expiresAt.getTime()).toBe(expiresAt.getTime());
      const verifier = box.open(row!.codeVerifier).plaintext;
      expect(verifier.length).toBeGreaterThan(20);
      expect(row!.codeVerifier).not.toContain(verifier);
    });

    it("a new link clears pending connects that expired more than a day ago, and keeps younger ones", async () => {
      const connect = await build();
      const old = (hash: string, expiredHoursAgo: number) => ({
        stateHash: hash,
        codeVerifier: "sealed",
        label: "old",
        expiresAt: new Date(Date.now() - expiredHoursAgo * HOUR),
      });
      await db().insert(xOAuthRequests).values([old("long-gone", 25), old("yesterday", 23)]);
      await connect.start("two", undefined);
      const hashes = (await db().select().from(xOAuthRequests)).map((row) => row.stateHash);
      expect(hashes).toContain("yesterday");
      expect(hashes).not.toContain("long-gone");
      expect(hashes).toHaveLength(2);
    });
  });

  describe("complete", () => {
    it("a new account: stored and in the pool, the admin chat told, the pool changed; the same link again is refused", async () => {
      const connect = await build();
      const { url } = await connect.start("two", 1);
      const callback = approve(url);
      expect(await connect.complete(callback)).toEqual({ ok: true, label: "two", username: "oauth_user", reconnected: false });
      expect(told).toEqual(["✅ Connected @oauth_user as <b>two</b>."]);
      expect(poolChanges).toBe(1);
      expect(accounts.all().map((account) => account.label)).toEqual(["main", "two"]);
      const [row] = await db().select().from(xAccounts).where(eq(xAccounts.label, "two"));
      expect(row).toMatchObject({ origin: "stored", authKind: "oauth2", status: "active", xUserId: user.id });
      const session = JSON.parse(box.open(row!.credentials!).plaintext) as { accessToken: string; refreshToken: string; expiresAt: string };
      expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
      expect(session.refreshToken).toEqual(expect.any(String));

      expect(await connect.complete(callback)).toEqual({
        ok: false,
        status: 400,
        message: "This link is unknown, expired or already used. Ask the bot for a new one.",
      });
      expect(await connect.complete({ state: "never-issued", code: callback.code })).toMatchObject({ ok: false, status: 400 });
      expect(told).toHaveLength(1);
    });

    it("an expired link is refused and nothing is stored", async () => {
      const connect = await build({ ttlMs: 1 });
      const { url } = await connect.start("two", 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await connect.complete(approve(url))).toMatchObject({ ok: false, status: 400, message: expect.stringContaining("expired") });
      expect(await db().select().from(xAccounts).where(eq(xAccounts.label, "two"))).toEqual([]);
    });

    it("X's access_denied, another error or no code: a 400 page saying so and a note in the admin chat; nothing stored", async () => {
      const connect = await build();
      const cases = [
        [{ error: "access_denied" }, "You did not authorize the app on X: nothing was connected.", "Connecting two was cancelled on X (not authorized)."],
        [{ error: "server_error" }, "X did not authorize the app: nothing was connected.", "Connecting two was refused by X."],
        [{}, "X did not authorize the app: nothing was connected.", "Connecting two was refused by X."],
        [{ error: "access_denied", code: "some-code" }, "You did not authorize the app on X: nothing was connected.", "Connecting two was cancelled on X (not authorized)."],
      ] as const;
      for (const [answer, message, note] of cases) {
        const { url } = await connect.start("two", 1);
        told = [];
        expect(await connect.complete({ state: stateOf(url), ...answer })).toEqual({ ok: false, status: 400, message });
        expect(told).toEqual([note]);
      }
      expect(await db().select().from(xAccounts).where(eq(xAccounts.label, "two"))).toEqual([]);
      expect(poolChanges).toBe(0);
    });

    it("a link made while configured, completed by a process that is not: refused without asking X", async () => {
      const connect = await build();
      const { url } = await connect.start("two", 1);
      const callback = approve(url);
      const tokenRequests = () => x().requests({ method: "POST", path: "/2/oauth2/token" }).length;
      const before = tokenRequests();
      for (const overrides of [{ app: undefined }, { box: undefined }]) {
        const { url: next } = await connect.start("two", 1);
        const other = await build(overrides);
        expect(await other.complete({ ...approve(next) })).toEqual({ ok: false, status: 400, message: "Connecting X accounts is not configured on this bot." });
      }
      expect(tokenRequests()).toBe(before);
      expect(await connect.complete(callback)).toMatchObject({ ok: true });
    });

    it("a code X refuses is a 400; X down at the exchange is a 502 to try again", async () => {
      const connect = await build();
      const first = await connect.start("two", 1);
      expect(await connect.complete({ state: stateOf(first.url), code: "not-a-code" })).toEqual({ ok: false, status: 400, message: "X refused the authorization code." });
      const second = await connect.start("two", 1);
      const callback = approve(second.url);
      x().enqueueFault({ method: "POST", path: "/2/oauth2/token" }, { kind: "status", status: 503 });
      expect(await connect.complete(callback)).toEqual({ ok: false, status: 502, message: "X could not be reached; try again." });
      expect(told).toEqual([]);
      expect(poolChanges).toBe(0);
    });

    it("an X user the environment owns is refused (409) and the tokens just issued are given back to X", async () => {
      const envUser = x().user("env_user")!;
      const connect = await build();
      await accounts.identity(accounts.all()[0]!);
      const { url } = await connect.start("two", 1);
      const outcome = await connect.complete(approve(url, envUser));
      expect(outcome).toEqual({
        ok: false,
        status: 409,
        message: "@env_user is main, an account from the environment: its credentials are set there, not with /accounts connect.",
      });
      expect(x().liveOAuth2RefreshTokens(envUser.id)).toBe(0);
      expect(told).toEqual([]);
      expect(poolChanges).toBe(0);
    });

    it("a session X will not take for users/me is a 502, and its tokens are given back", async () => {
      const connect = await build();
      const { url } = await connect.start("two", 1);
      const callback = approve(url);
      x().enqueueFault({ method: "GET", path: "/2/users/me" }, { kind: "status", status: 503 });
      expect(await connect.complete(callback)).toEqual({ ok: false, status: 502, message: "X did not accept the new session; try again." });
      expect(x().liveOAuth2RefreshTokens(user.id)).toBe(0);
      expect(await db().select().from(xAccounts).where(eq(xAccounts.label, "two"))).toEqual([]);
    });

    it("reconnecting the same X user keeps its account: back in the pool, or still disabled, as the admin chat is told", async () => {
      const connect = await build();
      await connect.complete(approve((await connect.start("two", 1)).url));
      told = [];
      expect(await connect.complete(approve((await connect.start("again", 1)).url))).toEqual({
        ok: true,
        label: "two",
        username: "oauth_user",
        reconnected: true,
      });
      expect(told).toEqual(["🔑 Reconnected @oauth_user (<b>two</b>): new session stored, back in the pool."]);
      await db().update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.label, "two"));
      told = [];
      expect(await connect.complete(approve((await connect.start("two", 1)).url))).toMatchObject({ ok: true, reconnected: true });
      expect(told).toEqual(["🔑 Reconnected @oauth_user (<b>two</b>): new session stored; it stays disabled until /accounts enable two."]);
      expect(poolChanges).toBe(3);
    });
  });
});
