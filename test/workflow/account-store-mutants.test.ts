/**
 * The account store beyond account-store.test.ts: which labels it takes, what the boot's key errors say, a read-only
 * boot that seals nothing again, an X user stored again (its removed row comes back, a disabled one does not
 * block it), and an OAuth 2.0 connect of a user already stored (its row, label and pool entry kept, its breakers
 * reset, the env accounts' identities resolved first), and what each answer shows (never the credentials).
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { posts, xAccounts } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import {
  ACCOUNT_LABEL_RE,
  AccountStoreError,
  clientCredentialsOf,
  createAccountStore,
  EncryptionKeyError,
  loadStoredAccounts,
  type AccountSecrets,
  type XClientFactory,
  type XOAuth2Session,
} from "../../src/workflow/account-store.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { fakeXClient, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import { failingBuilder } from "../support/failing-builder.js";

const TOKEN = "store-mutants-token-1";
const OTHER_TOKEN = "store-mutants-token-2";
const ENV_TOKEN = "store-mutants-env-token";
const BAD_LABEL = "A label is 1–32 letters, digits, _ . or -.";

const oauth1 = (accessToken = TOKEN): AccountSecrets => ({
  authKind: "oauth1",
  credentials: { appKey: "mutants-app-key", appSecret: "mutants-app-secret", accessToken, accessSecret: "mutants-access-secret" },
});
const oauth2 = (accessToken = TOKEN): XOAuth2Session => ({ accessToken, refreshToken: "mutants-refresh", expiresAt: "2030-01-01T00:00:00.000Z" });

describe.each(databaseTargets())("account store, further cases, on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  const key = randomBytes(32);
  let made: string[];
  let breakersReset: string[];
  let notices: WorkflowNotice[];
  let changes: number;

  const makeClient: XClientFactory = (label, secrets) => {
    made.push(label);
    return createXAccountClient({ apiRoot: x().baseUrl, credentials: clientCredentialsOf(secrets), requestTimeoutMs: 5_000 });
  };

  /** The store over a pool of the env accounts `env` (label → access token at the fake X); `box` null: no key. */
  async function build(env: Record<string, string> = {}, keyed: SecretBox | null = new SecretBox(key)) {
    const box = keyed ?? undefined;
    const clients = new Map(Object.entries(env).map(([label, token]) => [label, fakeXClient(x(), token)]));
    const accounts = await XAccounts.register(db(), clients, (notice) => notices.push(notice));
    const store = createAccountStore({
      db: db(),
      accounts,
      box,
      makeClient,
      resetBreaker: (label) => breakersReset.push(label),
      onChange: () => changes++,
    });
    return { accounts, store };
  }
  const rowOf = async (label: string) => (await db().select().from(xAccounts).where(eq(xAccounts.label, label)))[0];

  beforeEach(() => {
    made = [];
    breakersReset = [];
    notices = [];
    changes = 0;
    x().addUser({ id: "850001", username: "stored_user", accessToken: TOKEN });
    x().addUser({ id: "850002", username: "other_user", accessToken: OTHER_TOKEN });
    x().addUser({ id: "850003", username: "env_user", accessToken: ENV_TOKEN });
  });

  it("takes labels of 1 to 32 letters, digits, _ . and -, and nothing else anywhere in them", async () => {
    for (const good of ["a", "x".repeat(32), "Ops_2.main-b"]) expect(ACCOUNT_LABEL_RE.test(good)).toBe(true);
    for (const bad of ["", "x".repeat(33), "two words", "!lead", "trail!", "ünïcode", "a/b"]) expect(ACCOUNT_LABEL_RE.test(bad)).toBe(false);
    const { store } = await build();
    await expect(store.store("trail!", oauth1())).rejects.toThrow(BAD_LABEL);
    await expect(store.connect("!lead", oauth2())).rejects.toThrow(BAD_LABEL);
    await expect(store.connect("x".repeat(33), oauth2())).rejects.toThrow(AccountStoreError);
    const keyless = await build({}, null);
    await expect(keyless.store.connect("fine", oauth2())).rejects.toThrow("Accounts cannot be stored without ENCRYPTION_KEY (DATABASE_URL is set).");
    expect(x().requests({ method: "GET", path: "/2/users/me" })).toEqual([]);
    expect(await db().select().from(xAccounts)).toEqual([]);
  });

  it("the boot names how many accounts need the key, and which account a wrong key cannot open", async () => {
    const { store } = await build();
    await store.store("first", oauth1());
    await store.store("second", oauth1(OTHER_TOKEN));
    await expect(loadStoredAccounts(db(), undefined)).rejects.toThrow(/^ENCRYPTION_KEY is required: 2 X accounts are stored in the database/);
    const wrong = await loadStoredAccounts(db(), new SecretBox(randomBytes(32))).catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(EncryptionKeyError);
    expect((wrong as Error).name).toBe("EncryptionKeyError");
    expect((wrong as Error).message).toMatch(/^the credentials of X account first cannot be opened \(.+\): set ENCRYPTION_KEY/);
    // In id order, both kinds of secrets as they were stored.
    expect((await loadStoredAccounts(db(), new SecretBox(key))).accounts.map((account) => account.label)).toEqual(["first", "second"]);
  });

  it("env accounts and removed accounts' tombstones are not stored accounts: no key needed, none opened", async () => {
    const { store } = await build({ main: ENV_TOKEN });
    const saved = await store.store("kept", oauth1());
    await db().insert(posts).values({ tweetId: "1", authorId: "9", authorUsername: "bob", text: "hi", source: "mention", sourceDetail: "", accountId: saved.id, answerable: true, state: "skipped" });
    await store.remove("kept");
    expect(await loadStoredAccounts(db(), undefined)).toEqual({ accounts: [], resealed: 0 });
  });

  it("a read-only boot (the doctor) opens accounts sealed with the previous key but seals nothing again", async () => {
    const previous = randomBytes(32);
    await (await build({}, new SecretBox(previous))).store.store("first", oauth1());
    const sealed = (await rowOf("first"))!.credentials;
    const rotated = new SecretBox(key, previous);
    expect(await loadStoredAccounts(db(), rotated, { readOnly: true })).toEqual({ accounts: [{ label: "first", secrets: oauth1() }], resealed: 0 });
    expect((await rowOf("first"))!.credentials).toBe(sealed);
    expect(await loadStoredAccounts(db(), rotated, { readOnly: false })).toMatchObject({ resealed: 1 });
    expect((await rowOf("first"))!.credentials).not.toBe(sealed);
  });

  it("an X user stored again after a removal gets its old row back, active, with the replies bound to it", async () => {
    const { accounts, store } = await build();
    const saved = await store.store("first", oauth1());
    await db().insert(posts).values({ tweetId: "1", authorId: "9", authorUsername: "bob", text: "hi", source: "mention", sourceDetail: "", accountId: saved.id, answerable: true, state: "skipped" });
    await store.remove("first");
    const back = await store.store("renamed", oauth1());
    expect(back).toMatchObject({ id: saved.id, label: "renamed", status: "active", failureReason: null, failedAt: null, username: "stored_user" });
    expect(back).not.toHaveProperty("credentials");
    expect(accounts.all().map((account) => [account.id, account.label])).toEqual([[saved.id, "renamed"]]);
    expect(await db().select().from(xAccounts)).toHaveLength(1);
  });

  it("a disabled account keeps its X user: storing it under another label is refused, so enabling it never makes two", async () => {
    const { accounts, store } = await build();
    await store.store("first", oauth1());
    await store.disable("first");
    await expect(store.store("second", oauth1())).rejects.toThrow(new AccountStoreError("@stored_user is already in the pool as first (disabled)."));
    expect((await db().select({ label: xAccounts.label }).from(xAccounts)).map((row) => row.label)).toEqual(["first"]);
    expect(accounts.all().map((account) => account.label)).toEqual(["first"]);
  });

  it("connect: a user already stored keeps its row and label, now in OAuth 2.0, its breakers reset, back in the pool", async () => {
    const { accounts, store } = await build();
    const saved = await store.store("first", oauth1());
    await accounts.setStatus(saved.id, "failed", "X refused it", { quiet: true });
    made = [];
    changes = 0;

    const connected = await store.connect("other-name", oauth2());
    expect(connected).toEqual({ account: expect.objectContaining({ id: saved.id, label: "first", authKind: "oauth2", status: "active", failureReason: null }), reconnected: true });
    expect(connected.account).not.toHaveProperty("credentials");
    // The new label's breaker (a client made under it to ask X) and the kept one's.
    expect(breakersReset).toEqual(["other-name", "first"]);
    expect(made).toEqual(["other-name", "first"]);
    const row = (await rowOf("first"))!;
    expect(JSON.parse(new SecretBox(key).open(row.credentials!).plaintext)).toEqual(oauth2());
    expect(await rowOf("other-name")).toBeUndefined();
    expect(accounts.all().map((account) => account.label)).toEqual(["first"]);
    expect((await accounts.get(saved.id)!.client.me()).username).toBe("stored_user");
    expect(notices).toEqual([{ kind: "session_recovered", account: "first" }]);
    expect(changes).toBe(1);
  });

  it("connect under the account's own label reuses the client that asked X", async () => {
    const { accounts, store } = await build();
    const saved = await store.store("first", oauth1());
    made = [];
    await expect(store.connect("first", oauth2())).resolves.toMatchObject({ reconnected: true, account: { id: saved.id, label: "first" } });
    expect(made).toEqual(["first"]);
    expect(breakersReset).toEqual(["first"]);
    expect(accounts.all()).toHaveLength(1);
  });

  it("connect prefers the user's account in use over a disabled one (two of one user, as an older version stored them)", async () => {
    const { store } = await build();
    const { id: _id, label: _label, ...first } = (await rowOf((await store.store("first", oauth1())).label))!;
    await store.disable("first");
    const [active] = await db().insert(xAccounts).values({ ...first, label: "second" }).returning();
    expect(await store.connect("third", oauth2())).toMatchObject({ reconnected: true, account: { id: active!.id, label: "second", status: "active" } });
    expect((await rowOf("first"))!.authKind).toBe("oauth1");
  });

  it("connect asks X who the env accounts are first, so a user the environment owns is refused", async () => {
    const { store } = await build({ main: ENV_TOKEN });
    expect((await rowOf("main"))!.xUserId).toBeNull();
    await expect(store.connect("two", oauth2(ENV_TOKEN))).rejects.toThrow(
      "@env_user is main, an account from the environment: its credentials are set there, not with /accounts connect.",
    );
    expect((await rowOf("main"))!).toMatchObject({ xUserId: "850003", username: "env_user" });
    expect(await rowOf("two")).toBeUndefined();
  });

  it("store asks X who the env accounts are first, so the user of an env account is not stored a second time", async () => {
    const { accounts, store } = await build({ main: ENV_TOKEN });
    expect((await rowOf("main"))!.xUserId).toBeNull();
    await expect(store.store("two", oauth1(ENV_TOKEN))).rejects.toThrow("@env_user is already in the pool as main.");
    expect(await rowOf("two")).toBeUndefined();
    expect(accounts.all().map((account) => account.label)).toEqual(["main"]);
  });

  it("connect goes on when an env account cannot be resolved, and asks X only about the unresolved ones", async () => {
    const { store } = await build({ main: ENV_TOKEN, spare: OTHER_TOKEN });
    x().setUserAccess("env_user", "revoked");
    await expect(store.connect("two", oauth2())).resolves.toMatchObject({ reconnected: false, account: { label: "two", username: "stored_user" } });
    expect((await rowOf("spare"))!.xUserId).toBe("850002");
    const asked = x().requests({ method: "GET", path: "/2/users/me" }).length;
    await store.connect("two", oauth2());
    // users/me of the new session, and of main, still unresolved; spare is known.
    expect(x().requests({ method: "GET", path: "/2/users/me" }).length).toBe(asked + 2);
  });

  it("connect refuses a label that is another user's account, naming its handle (or not, when unknown)", async () => {
    const { store } = await build();
    await store.store("first", oauth1());
    await expect(store.connect("first", oauth2(OTHER_TOKEN))).rejects.toThrow(
      "The label first is @stored_user's: sign in to X as it to reconnect it, or connect @other_user under another label.",
    );
    await db().insert(xAccounts).values({ label: "nameless", origin: "stored", credentials: null });
    await expect(store.connect("nameless", oauth2(OTHER_TOKEN))).rejects.toThrow(
      "The label nameless is another X account's: sign in to X as it to reconnect it, or connect @other_user under another label.",
    );
    expect(changes).toBe(1);
  });

  it("disable and enable answer the row without its credentials; enabling asks X again and records why it failed", async () => {
    const { store } = await build();
    await store.store("first", oauth1());
    const disabled = await store.disable("first");
    expect(disabled).toMatchObject({ label: "first", status: "disabled" });
    expect(disabled).not.toHaveProperty("credentials");
    x().setUserAccess("stored_user", "revoked");
    const failed = await store.enable("first");
    expect(failed).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/401/) });
    expect(failed.failureReason).not.toBe("being verified");
    expect(failed.failedAt).toBeInstanceOf(Date);
    expect(failed).not.toHaveProperty("credentials");
    x().setUserAccess("stored_user", "ok");
    expect(await store.enable("first")).toMatchObject({ status: "active", failureReason: null, failedAt: null });
    expect(notices).toEqual([]);
  });

  it("enabling is refused while another account in the pool is the same X user (two of one user, as an older version stored them)", async () => {
    const { store } = await build();
    const { id: _id, label: _label, ...first } = (await rowOf((await store.store("first", oauth1())).label))!;
    await store.disable("first");
    await db().insert(xAccounts).values({ ...first, label: "second" });
    changes = 0;
    await expect(store.enable("first")).rejects.toThrow(new AccountStoreError("@stored_user is already in the pool as second: disable that one first."));
    expect((await rowOf("first"))!.status).toBe("disabled");
    expect(changes).toBe(0);
    await store.disable("second");
    expect(await store.enable("first")).toMatchObject({ status: "active" });
  });

  it("a removal the database refuses for another reason is passed on: the account stays, stored and in the pool", async () => {
    const { accounts } = await build();
    const failing = failingBuilder(db(), "delete", () => new Error("connection to the database lost"));
    failing.fail(Infinity);
    const store = createAccountStore({ db: failing.db, accounts, box: new SecretBox(key), makeClient, resetBreaker: () => undefined, onChange: () => changes++ });
    const saved = await store.store("first", oauth1());
    await expect(store.remove("first")).rejects.toThrow("connection to the database lost");
    expect(await rowOf("first")).toMatchObject({ id: saved.id, status: "active", origin: "stored" });
    expect((await rowOf("first"))!.credentials).not.toBeNull();
    expect(accounts.all().map((account) => account.label)).toEqual(["first"]);
    expect(changes).toBe(1);
  });

  it("enabling an account this process holds no credentials for is refused, naming it", async () => {
    const { store } = await build();
    await db().insert(xAccounts).values({ label: "gone", status: "disabled" });
    await expect(store.enable("gone")).rejects.toThrow("gone has no credentials in this process (an env account no longer in the environment?).");
    expect((await rowOf("gone"))!.status).toBe("disabled");
    expect(changes).toBe(0);
  });
});
