/**
 * Stored X accounts against the fake X and a real database: verified with users/me before they are saved, their
 * credentials sealed (never in clear in the row), opened again at boot (and re-sealed after a key rotation), and
 * disabled, enabled or removed by label.
 */
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { resultRows } from "../../src/db/raw-rows.js";
import { posts, xAccounts } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import {
  AccountStoreError,
  createAccountStore,
  EncryptionKeyError,
  loadStoredAccounts,
  type AccountSecrets,
  type XClientFactory,
  clientCredentialsOf,
} from "../../src/workflow/account-store.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";

const SECOND_TOKEN = "second-access-token-4711";
const SECOND_SECRET = "second-access-secret-0815";
const APP_SECRET = "stored-app-secret-2342";
const OAUTH2_TOKEN = "oauth2-user-access-token-9999";

const oauth1 = (accessToken = SECOND_TOKEN): AccountSecrets => ({
  authKind: "oauth1",
  credentials: { appKey: "stored-app-key-1", appSecret: APP_SECRET, accessToken, accessSecret: SECOND_SECRET },
});

describe.each(databaseTargets())("account store on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);
  const makeClient: XClientFactory = (_label, secrets) =>
    createXAccountClient({ apiRoot: x().baseUrl, credentials: clientCredentialsOf(secrets), requestTimeoutMs: 5_000 });

  async function build(box: SecretBox | undefined, onChange?: () => void) {
    const accounts = await XAccounts.register(db(), new Map());
    return { accounts, store: createAccountStore({ db: db(), accounts, box, makeClient, resetBreaker: () => undefined, onChange }) };
  }

  /** Every column of the account's row as the database holds it, as one string. */
  async function rawRow(label: string): Promise<string> {
    const result = await db().execute(sql`select * from x_accounts where label = ${label}`);
    const rows = resultRows(result);
    expect(rows).toHaveLength(1);
    return JSON.stringify(rows[0]);
  }

  beforeEach(() => {
    x().addUser({ id: "810001", username: "second_acct", accessToken: SECOND_TOKEN });
    x().addUser({ id: "810002", username: "oauth_two", accessToken: OAUTH2_TOKEN });
  });

  it("verifies with users/me, stores the X identity, seals the credentials and adds the account to the pool", async () => {
    const { accounts, store } = await build(new SecretBox(keyA));
    const saved = await store.store("second", oauth1());
    expect(saved).toMatchObject({ label: "second", origin: "stored", authKind: "oauth1", status: "active", xUserId: "810001", username: "second_acct" });
    expect(saved.lastVerifiedAt).toBeInstanceOf(Date);
    expect(saved).not.toHaveProperty("credentials");
    expect(x().requests({ method: "GET", path: "/2/users/me" })).toHaveLength(1);
    expect(accounts.all().map((account) => account.label)).toEqual(["second"]);

    const row = await rawRow("second");
    for (const secret of [SECOND_TOKEN, SECOND_SECRET, APP_SECRET, "stored-app-key-1"]) expect(row).not.toContain(secret);
    expect(row).toMatch(/"credentials":"v1:[0-9a-f]{8}:/);
  });

  it("stores nothing when X refuses the credentials", async () => {
    const { accounts, store } = await build(new SecretBox(keyA));
    x().setUserAccess("second_acct", "revoked");
    await expect(store.store("second", oauth1())).rejects.toThrow(/401/);
    expect(await db().select().from(xAccounts)).toEqual([]);
    expect(accounts.all()).toEqual([]);
  });

  it("refuses a taken label, the same X user twice, and storing without a key", async () => {
    const { store } = await build(new SecretBox(keyA));
    await store.store("second", oauth1());
    await expect(store.store("second", oauth1())).rejects.toThrow(AccountStoreError);
    await expect(store.store("again", oauth1())).rejects.toThrow("@second_acct is already in the pool as second.");
    const keyless = await build(undefined);
    await expect(keyless.store.store("other", oauth1())).rejects.toThrow(/ENCRYPTION_KEY/);
  });

  it("stores an OAuth 2.0 account (Bearer user token) the same way", async () => {
    const { store } = await build(new SecretBox(keyA));
    const saved = await store.store("two", { authKind: "oauth2", credentials: { accessToken: OAUTH2_TOKEN, refreshToken: "refresh-abc-123" } });
    expect(saved).toMatchObject({ authKind: "oauth2", username: "oauth_two" });
    const row = await rawRow("two");
    expect(row).not.toContain(OAUTH2_TOKEN);
    expect(row).not.toContain("refresh-abc-123");
  });

  it("opens stored accounts at boot; after a rotation it reads the previous key and seals again with the current one", async () => {
    await (await build(new SecretBox(keyA))).store.store("second", oauth1());
    expect((await loadStoredAccounts(db(), new SecretBox(keyA))).accounts).toEqual([{ label: "second", secrets: oauth1() }]);

    const rotated = await loadStoredAccounts(db(), new SecretBox(keyB, keyA));
    expect(rotated).toEqual({ accounts: [{ label: "second", secrets: oauth1() }], resealed: 1 });
    // Now sealed with B alone: the previous key can be dropped.
    expect(await loadStoredAccounts(db(), new SecretBox(keyB))).toEqual({ accounts: [{ label: "second", secrets: oauth1() }], resealed: 0 });
    await expect(loadStoredAccounts(db(), new SecretBox(keyA))).rejects.toThrow(/ENCRYPTION_KEY/);
  });

  it("without a key, stored accounts stop the boot naming ENCRYPTION_KEY; env accounts alone need none", async () => {
    await XAccounts.register(db(), new Map([["main", makeClient("main", oauth1())]]));
    expect(await loadStoredAccounts(db(), undefined)).toEqual({ accounts: [], resealed: 0 });
    await (await build(new SecretBox(keyA))).store.store("second", oauth1());
    await expect(loadStoredAccounts(db(), undefined)).rejects.toThrow(EncryptionKeyError);
    await expect(loadStoredAccounts(db(), undefined)).rejects.toThrow(/^ENCRYPTION_KEY is required: 1 X account is stored/);
  });

  it("disables and enables by label; enabling asks X, and a refused account comes back failed with the reason", async () => {
    const { store } = await build(new SecretBox(keyA));
    await store.store("second", oauth1());
    expect(await store.disable("second")).toMatchObject({ status: "disabled" });
    expect(await store.enable("second")).toMatchObject({ status: "active", failureReason: null });
    await store.disable("second");
    x().setUserAccess("second_acct", "revoked");
    expect(await store.enable("second")).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/401/) });
    await expect(store.disable("nobody")).rejects.toThrow("No X account is labelled nobody.");
  });

  it("removes a stored account: its row goes, or only its credentials and label when posts refer to it", async () => {
    const { accounts, store } = await build(new SecretBox(keyA));
    await store.store("second", oauth1());
    await store.remove("second");
    expect(await db().select().from(xAccounts)).toEqual([]);
    expect(accounts.all()).toEqual([]);

    const saved = await store.store("second", oauth1());
    await db().insert(posts).values({ tweetId: "1", authorId: "9", authorUsername: "bob", text: "hi", source: "mention", sourceDetail: "", accountId: saved.id, answerable: true, state: "skipped" });
    await store.remove("second");
    const [kept] = await db().select().from(xAccounts).where(eq(xAccounts.id, saved.id));
    expect(kept).toMatchObject({ credentials: null, status: "disabled", label: `second~removed-${saved.id}` });
    expect(accounts.all()).toEqual([]);
    // The label is free again.
    await expect(store.store("second", oauth1())).resolves.toMatchObject({ label: "second" });
  });

  it("refuses to remove an env account", async () => {
    const { store } = await build(new SecretBox(keyA));
    await XAccounts.register(db(), new Map([["main", makeClient("main", oauth1())]]));
    await expect(store.remove("main")).rejects.toThrow(/comes from the environment/);
  });

  it("tells the other replicas after every committed change (store, connect, disable, enable, remove), never after a refusal", async () => {
    const told: string[] = [];
    let step = "";
    const { store } = await build(new SecretBox(keyA), () => told.push(step));
    const act = async (name: string, action: () => Promise<unknown>) => {
      step = name;
      await action().catch(() => undefined);
    };
    await act("store", () => store.store("second", oauth1()));
    await act("store taken", () => store.store("second", oauth1()));
    await act("connect new", () => store.connect("two", { accessToken: OAUTH2_TOKEN }));
    await act("connect again", () => store.connect("two", { accessToken: OAUTH2_TOKEN }));
    await act("disable", () => store.disable("second"));
    await act("enable", () => store.enable("second"));
    await act("remove", () => store.remove("second"));
    await act("remove unknown", () => store.remove("second"));
    expect(told).toEqual(["store", "connect new", "connect again", "disable", "enable", "remove"]);
  });
});
