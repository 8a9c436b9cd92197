/**
 * The stored OAuth 2.0 session's token provider beyond oauth2-session.test.ts: when renewal starts (the margin, a
 * session without an expiry), what each refusal says and does to the account and the stored pair (no session
 * stored, no refresh token, the app refused), and what is passed on untouched (a rate-limited or unexpected
 * failure leaves the account in the pool and is tried again at the next call).
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { xAccounts } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import type { XOAuth2Session } from "../../src/workflow/account-store.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { OAUTH2_REFRESH_MARGIN_MS, oauth2TokenProvider, type OAuth2SessionDeps } from "../../src/workflow/oauth2-session.js";
import { XApiError } from "../../src/x/errors.js";
import { createXOAuth2App, X_OAUTH2_TOKEN_ENDPOINT, type XOAuth2App } from "../../src/x/oauth2.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import type { FakeXUser } from "../support/fake-x/index.js";

const CLIENT_ID = "mutants-client-id";
const CLIENT_SECRET = "mutants-client-secret-5512";
const REDIRECT_URI = "https://bot.example/oauth/x/callback";
const LABEL = "oa2";
const MINUTE = 60_000;

describe.each(databaseTargets())("stored OAuth 2.0 session refusals and margins on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  const box = new SecretBox(randomBytes(32));
  let user: FakeXUser;
  let app: XOAuth2App;
  let notices: WorkflowNotice[];
  let clock: number;
  let pool: XAccounts;

  beforeEach(() => {
    notices = [];
    clock = Date.now();
    user = x().addUser({ username: "oauth_mutant" });
    x().addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] });
    app = createXOAuth2App({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI, apiRoot: x().baseUrl, requestTimeoutMs: 2_000 });
  });

  const deps = (overrides: Partial<OAuth2SessionDeps> = {}): OAuth2SessionDeps => ({ db: db(), box, app, accounts: () => pool, now: () => clock, ...overrides });
  const tokenRequests = () => x().requests({ method: "POST", path: "/2/oauth2/token" }).length;

  /** Connects the user at the fake X, stores `shape(session)` as /accounts connect would, and pools the account. */
  async function connectStored(shape: (session: XOAuth2Session) => XOAuth2Session = (session) => session): Promise<XOAuth2Session> {
    // Issued for 1 h, renewed for 2 h: a renewed pair is far from expiry at the clock that finds the first one near it.
    x().setOAuth2AccessTokenTtl(3600);
    const link = app.authLink();
    const callback = new URL(x().approveAuthorizationLink(link.url, user.id));
    const tokens = await app.exchangeCode(callback.searchParams.get("code")!, link.codeVerifier);
    x().setOAuth2AccessTokenTtl(7200);
    const session = shape({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt.toISOString() });
    await db()
      .insert(xAccounts)
      .values({ label: LABEL, origin: "stored", authKind: "oauth2", credentials: box.seal(JSON.stringify(session)), xUserId: user.id, username: user.username });
    const client = createXAccountClient({ apiRoot: x().baseUrl, credentials: { kind: "oauth2", accessToken: session.accessToken }, requestTimeoutMs: 2_000 });
    pool = await XAccounts.register(db(), new Map([[LABEL, client]]), (notice) => notices.push(notice));
    return session;
  }

  async function row() {
    const [found] = await db().select().from(xAccounts).where(eq(xAccounts.label, LABEL));
    return { ...found!, session: found!.credentials === null ? undefined : (JSON.parse(box.open(found!.credentials).plaintext) as XOAuth2Session) };
  }

  const failure = async (provide: () => string | Promise<string>) => Promise.resolve(provide()).then(() => undefined, (error: unknown) => error);

  it("renews from five minutes before expiry on, not a millisecond earlier", async () => {
    expect(OAUTH2_REFRESH_MARGIN_MS).toBe(5 * MINUTE);
    const session = await connectStored();
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    const before = tokenRequests();
    clock = Date.parse(session.expiresAt!) - 5 * MINUTE - 1;
    expect(await provide(undefined)).toBe(session.accessToken);
    expect(tokenRequests()).toBe(before);
    clock += 1;
    expect(await provide(undefined)).not.toBe(session.accessToken);
    expect(tokenRequests()).toBe(before + 1);
  });

  it("a margin of its own replaces the five minutes", async () => {
    const session = await connectStored();
    const provide = oauth2TokenProvider(deps({ marginMs: MINUTE }), LABEL, session);
    const before = tokenRequests();
    clock = Date.parse(session.expiresAt!) - 2 * MINUTE;
    expect(await provide(undefined)).toBe(session.accessToken);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    expect(await provide(undefined)).not.toBe(session.accessToken);
    expect(tokenRequests()).toBe(before + 1);
  });

  it("a session without an expiry time is used as it is, however late", async () => {
    const session = await connectStored(({ accessToken, refreshToken }) => ({ accessToken, refreshToken }));
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    const before = tokenRequests();
    clock = Date.now() + 1_000 * 24 * 60 * MINUTE;
    expect(await provide(undefined)).toBe(session.accessToken);
    expect(tokenRequests()).toBe(before);
  });

  it("a renewed token is kept in memory: later calls use it without reading the row again", async () => {
    const session = await connectStored();
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    const renewed = await provide(undefined);
    // Had it gone back to the row, it would find no session there.
    await db().update(xAccounts).set({ credentials: null }).where(eq(xAccounts.label, LABEL));
    expect(await provide(undefined)).toBe(renewed);
  });

  it("a session no longer stored fails the account saying so, and X is not asked", async () => {
    const session = await connectStored();
    await db().update(xAccounts).set({ credentials: null }).where(eq(xAccounts.label, LABEL));
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    const before = tokenRequests();
    const error = await failure(() => provide(undefined));
    expect(error).toBeInstanceOf(XApiError);
    expect(error).toMatchObject({
      message: `X account ${LABEL}: its OAuth 2.0 session is no longer stored`,
      kind: "permanent",
      reason: "unauthorized",
      status: undefined,
      mayHaveSucceeded: false,
      method: "POST",
      endpoint: X_OAUTH2_TOKEN_ENDPOINT,
    });
    expect(await row()).toMatchObject({ status: "failed", failureReason: "its OAuth 2.0 session is no longer stored" });
    expect(notices).toEqual([{ kind: "session_failed", account: LABEL, reason: "its OAuth 2.0 session is no longer stored" }]);
    expect(tokenRequests()).toBe(before);
  });

  it("OAuth 1.0a credentials in the row (the account was stored again that way) are no session to renew", async () => {
    const session = await connectStored();
    await db().update(xAccounts).set({ authKind: "oauth1" }).where(eq(xAccounts.label, LABEL));
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    await expect(provide(undefined)).rejects.toThrow("its OAuth 2.0 session is no longer stored");
    expect((await row()).status).toBe("failed");
  });

  it("an expiring session without a refresh token fails the account: reconnect needed", async () => {
    const session = await connectStored(({ accessToken, expiresAt }) => ({ accessToken, expiresAt }));
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    const before = tokenRequests();
    await expect(provide(undefined)).rejects.toThrow(
      `X account ${LABEL}: its access token expired and no refresh token is stored: reconnect needed (/accounts connect)`,
    );
    expect(await row()).toMatchObject({ status: "failed", failureReason: "its access token expired and no refresh token is stored: reconnect needed (/accounts connect)" });
    expect(tokenRequests()).toBe(before);
  });

  it("X refusing the app itself (401) names the client settings and keeps the refresh token, which is not to blame", async () => {
    const session = await connectStored();
    const wrongSecret = createXOAuth2App({ clientId: CLIENT_ID, clientSecret: "not-the-secret", redirectUri: REDIRECT_URI, apiRoot: x().baseUrl, requestTimeoutMs: 2_000 });
    const provide = oauth2TokenProvider(deps({ app: wrongSecret }), LABEL, session);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    const reason = "X refused the app's OAuth 2.0 client (check X_CLIENT_ID and X_CLIENT_SECRET)";
    const error = await failure(() => provide(undefined));
    expect(error).toMatchObject({ message: `X account ${LABEL}: ${reason}`, kind: "permanent", reason: "unauthorized", mayHaveSucceeded: false });
    const stored = await row();
    expect(stored).toMatchObject({ status: "failed", failureReason: reason });
    expect(stored.session).toEqual(session);
    expect(notices).toEqual([{ kind: "session_failed", account: LABEL, reason }]);
  });

  it("a refusal for an account the pool does not hold still refuses the call", async () => {
    const session = await connectStored(({ accessToken, expiresAt }) => ({ accessToken, expiresAt }));
    const empty = await XAccounts.register(db(), new Map());
    const provide = oauth2TokenProvider(deps({ accounts: () => empty }), LABEL, session);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    const error = await failure(() => provide(undefined));
    expect(error).toBeInstanceOf(XApiError);
    expect((error as XApiError).message).toContain("no refresh token is stored");
    expect((await row()).status).toBe("active");
  });

  it("a rate-limited refresh is passed on: the account stays in the pool and the next call renews", async () => {
    const session = await connectStored();
    x().enqueueFault({ method: "POST", path: "/2/oauth2/token" }, { kind: "rateLimited", resetInSeconds: 60 });
    const provide = oauth2TokenProvider(deps(), LABEL, session);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    const error = await failure(() => provide(undefined));
    expect(error).toBeInstanceOf(XApiError);
    expect(error).toMatchObject({ kind: "rate_limited", status: 429 });
    expect(await row()).toMatchObject({ status: "active", session });
    const renewed = await provide(undefined);
    expect(renewed).not.toBe(session.accessToken);
    expect((await row()).session?.accessToken).toBe(renewed);
    expect(notices).toEqual([]);
  });

  it("an unexpected failure of the refresh is passed on as it is, the account left alone", async () => {
    const session = await connectStored();
    const bug = new TypeError("refresh is broken");
    const provide = oauth2TokenProvider(deps({ app: { refresh: () => Promise.reject(bug) } }), LABEL, session);
    clock = Date.parse(session.expiresAt!) - MINUTE;
    expect(await failure(() => provide(undefined))).toBe(bug);
    expect(await row()).toMatchObject({ status: "active", session });
    expect(notices).toEqual([]);
  });
});
