/**
 * Stored OAuth 2.0 sessions renewed by exactly one process: near expiry the token provider refreshes under the
 * account row's lock, commits the rotated pair (sealed) before its access token is used, takes a pair another
 * process renewed meanwhile instead of asking X again, and fails the account with the reason when X refuses the
 * refresh or its answer is lost (never a retry loop).
 */
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../src/db/database.js";
import { openPostgres } from "../../src/db/postgres.js";
import { xAccounts } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import type { XOAuth2Session } from "../../src/workflow/account-store.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { oauth2TokenProvider, type OAuth2SessionDeps } from "../../src/workflow/oauth2-session.js";
import { XApiError } from "../../src/x/errors.js";
import { createXOAuth2App, type XOAuth2App } from "../../src/x/oauth2.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { databaseTargets, type TestDatabase } from "../support/database.js";
import { startFakeX, type FakeX, type FakeXUser } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";

const CLIENT_ID = "session-client-id";
const CLIENT_SECRET = "session-client-secret-7781";
const REDIRECT_URI = "https://bot.example/oauth/x/callback";
const LABEL = "oa";
const HOUR_MS = 3_600_000;

describe.each(databaseTargets())("stored OAuth 2.0 sessions on $name", (target) => {
  let database: TestDatabase;
  let fake: FakeX;
  let user: FakeXUser;
  let app: XOAuth2App;
  const box = new SecretBox(randomBytes(32));
  let notices: WorkflowNotice[];
  let clock: number | undefined;
  /** The pool holding the stored account (it fails the account and raises session_failed). */
  let pool: XAccounts;
  const db = () => database.handle.db;

  function deps(handle: DatabaseHandle = database.handle): OAuth2SessionDeps {
    return { db: handle.db, box, app, accounts: () => pool, now: () => clock ?? Date.now() };
  }

  /** Connects the user at the fake and stores the session as /accounts connect does; returns it. */
  async function connectStored(): Promise<XOAuth2Session> {
    // Issued for 1 h, renewed for 2 h: a renewed pair is far from expiry at the clock that finds the first one near it.
    fake.setOAuth2AccessTokenTtl(3600);
    const link = app.authLink();
    const callback = new URL(fake.approveAuthorizationLink(link.url, user.id));
    const tokens = await app.exchangeCode(callback.searchParams.get("code")!, link.codeVerifier);
    fake.setOAuth2AccessTokenTtl(7200);
    const session = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt.toISOString() };
    await db()
      .insert(xAccounts)
      .values({ label: LABEL, origin: "stored", authKind: "oauth2", credentials: box.seal(JSON.stringify(session)), xUserId: user.id, username: user.username });
    const client = createXAccountClient({ apiRoot: fake.baseUrl, credentials: { kind: "oauth2", accessToken: session.accessToken }, requestTimeoutMs: 2_000 });
    pool = await XAccounts.register(db(), new Map([[LABEL, client]]), (notice) => notices.push(notice));
    return session;
  }

  async function row() {
    const [found] = await db().select().from(xAccounts).where(eq(xAccounts.label, LABEL));
    return { ...found!, session: JSON.parse(box.open(found!.credentials!).plaintext) as XOAuth2Session };
  }

  const tokenRequests = () => fake.requests({ method: "POST", path: "/2/oauth2/token" }).length;
  /** The clock 1 minute before the session's access token expires: inside the 5 minute margin. */
  const nearExpiry = (session: XOAuth2Session) => Date.parse(session.expiresAt!) - 60_000;

  beforeAll(async () => {
    database = await target.create();
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
    await database.dispose();
  });
  beforeEach(async () => {
    await db().delete(xAccounts);
    fake.reset();
    notices = [];
    clock = undefined;
    user = fake.addUser({ username: "oauth_user" });
    fake.addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] });
    app = createXOAuth2App({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI, apiRoot: fake.baseUrl, requestTimeoutMs: 2_000 });
  });

  it("uses the stored access token as it is while it is far from expiry", async () => {
    const session = await connectStored();
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    const before = tokenRequests();
    expect(await provide(undefined)).toBe(session.accessToken);
    expect(tokenRequests()).toBe(before);
  });

  it("near expiry: refreshes once, commits the rotated pair sealed, and the old refresh token is dead at X", async () => {
    const session = await connectStored();
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = nearExpiry(session);
    const before = tokenRequests();
    const [first, second] = await Promise.all([provide(undefined), provide(undefined)]);
    expect(tokenRequests()).toBe(before + 1);
    expect(first).toBe(second);
    expect(first).not.toBe(session.accessToken);
    const stored = await row();
    expect(stored.session.accessToken).toBe(first);
    expect(stored.session.refreshToken).not.toBe(session.refreshToken);
    expect(Date.parse(stored.session.expiresAt!)).toBeGreaterThan(Date.now() + 1.5 * HOUR_MS);
    for (const secret of [first, stored.session.refreshToken!, session.refreshToken!]) expect(stored.credentials).not.toContain(secret);
    const refused = await app.refresh(session.refreshToken!).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(XApiError);
    expect((refused as XApiError).reason).toBe("unauthorized");
    expect(fake.liveOAuth2RefreshTokens(user.id)).toBe(1);
    // The X client asks the provider before each request: it reads as the user with the renewed session.
    clock = undefined;
    const client = createXAccountClient({ apiRoot: fake.baseUrl, credentials: { kind: "oauth2", accessToken: provide }, requestTimeoutMs: 2_000 });
    expect(await client.me()).toMatchObject({ id: user.id });
    // The provider's refresh and the test's own try of the dead token: nothing more.
    expect(tokenRequests()).toBe(before + 2);
  });

  it("takes the pair another process renewed meanwhile (read again under the lock) instead of asking X", async () => {
    const session = await connectStored();
    const other = oauth2TokenProvider(deps(), LABEL, session);
    const late = oauth2TokenProvider(deps(), LABEL, session);
    clock = nearExpiry(session);
    const renewed = await other(undefined);
    const before = tokenRequests();
    expect(await late(undefined)).toBe(renewed);
    expect(tokenRequests()).toBe(before);
  });

  it("a renewed pair that cannot be saved is never used: the call fails and the account is failed, reconnect needed", async () => {
    const session = await connectStored();
    await db().execute(sql`create or replace function refuse_credentials() returns trigger language plpgsql as $$
      begin raise exception 'credentials are read-only in this test'; end $$`);
    await db().execute(sql`create trigger refuse_credentials before update of credentials on x_accounts
      for each row when (old.credentials is distinct from new.credentials) execute function refuse_credentials()`);
    try {
      const provide = oauth2TokenProvider(deps(), LABEL, session);
      clock = nearExpiry(session);
      const error = await Promise.resolve(provide(undefined)).then(() => undefined, (failure: unknown) => failure);
      expect(error).toBeInstanceOf(XApiError);
      expect((error as XApiError).mayHaveSucceeded).toBe(false);
      const stored = await row();
      expect(stored.status).toBe("failed");
      expect(stored.failureReason).toContain("could not be saved: reconnect needed");
      expect(stored.session).toEqual(session);
    } finally {
      await db().execute(sql`drop trigger refuse_credentials on x_accounts`);
      await db().execute(sql`drop function refuse_credentials()`);
    }
  });

  it("a refresh X refuses fails the account with the reason, forgets the dead token and never asks X again", async () => {
    const session = await connectStored();
    fake.setUserAccess(user.id, "revoked");
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = nearExpiry(session);
    const error = await Promise.resolve(provide(undefined)).then(() => undefined, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(XApiError);
    expect((error as XApiError).reason).toBe("unauthorized");
    const stored = await row();
    expect(stored.status).toBe("failed");
    expect(stored.failureReason).toContain("reconnect needed");
    expect(stored.session.refreshToken).toBeUndefined();
    expect(notices).toEqual([{ kind: "session_failed", account: LABEL, reason: stored.failureReason }]);
    const before = tokenRequests();
    await expect(provide(undefined)).rejects.toThrow(/reconnect needed/);
    await expect(oauth2TokenProvider(deps(), LABEL, session)(undefined)).rejects.toThrow(/reconnect needed/);
    expect(tokenRequests()).toBe(before);
  });

  it("a refused refresh leaves an account that is failed already as it is: its first reason, no second session_failed", async () => {
    const session = await connectStored();
    await pool.setStatus(pool.all()[0]!.id, "failed", "X has not answered it for 12 min", { quiet: true });
    fake.setUserAccess(user.id, "revoked");
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = nearExpiry(session);
    await expect(provide(undefined)).rejects.toThrow(/reconnect needed/);
    expect(await row()).toMatchObject({ status: "failed", failureReason: "X has not answered it for 12 min" });
    expect(notices).toEqual([]);
  });

  it("a refresh whose answer is lost (X may have rotated) fails the account saying so, with the stored pair kept", async () => {
    const session = await connectStored();
    fake.enqueueFault({ method: "POST", path: "/2/oauth2/token" }, { kind: "commitThenDrop" });
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = nearExpiry(session);
    await expect(provide(undefined)).rejects.toThrow(/answer to its token refresh was lost/);
    const stored = await row();
    expect(stored.status).toBe("failed");
    expect(stored.failureReason).toContain("may have rotated the refresh token: reconnect needed");
    expect(stored.session).toEqual(session);
    expect(notices.map((notice) => notice.kind)).toEqual(["session_failed"]);
  });

  it.runIf(target.name === "postgres")("two processes (two connections) near expiry: exactly one token request, both use its token", async () => {
    const session = await connectStored();
    const second = openPostgres(database.url!, silentLogger());
    try {
      // The first refresh holds the row lock while X is slow: the second process waits for it, then reads its pair.
      fake.enqueueFault({ method: "POST", path: "/2/oauth2/token" }, { kind: "delay", ms: 400 });
      const one = oauth2TokenProvider(deps(), LABEL, session);
      const two = oauth2TokenProvider(deps(second), LABEL, session);
      clock = nearExpiry(session);
      const before = tokenRequests();
      const [a, b] = await Promise.all([one(undefined), two(undefined)]);
      expect(tokenRequests()).toBe(before + 1);
      expect(a).toBe(b);
      expect((await row()).session.accessToken).toBe(a);
    } finally {
      await second.close();
    }
  });
});
