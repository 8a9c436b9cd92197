/**
 * One replica's account pool following another's changes to the stored accounts (the `accounts` wake-up's reload):
 * two pools on one database, the first with the account store, the second reloading from the rows. New accounts
 * are opened and join, removed ones leave (a call in flight with one is not broken), a changed session gets a new
 * client, reloads run one at a time, and one that fails is owed to the next catch-up.
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { xAccounts } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import { clientCredentialsOf, createAccountStore, type AccountSecrets, type XClientFactory } from "../../src/workflow/account-store.js";
import { createAccountSync } from "../../src/workflow/account-sync.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import { silentLogger } from "../support/logger.js";

const oauth1 = (accessToken: string): AccountSecrets => ({
  authKind: "oauth1",
  credentials: { appKey: "stored-app-key", appSecret: "stored-app-secret", accessToken, accessSecret: "stored-access-secret" },
});

/** The database whose next `select`, once armed, runs at once but answers only on `release` (a slow reload's read). */
function slowNextSelect(database: Database) {
  let armed = false;
  let release: () => void = () => undefined;
  const answer = new Promise<void>((resolve) => (release = resolve));
  let read: () => void = () => undefined;
  const readDone = new Promise<void>((resolve) => (read = resolve));
  type Call = (...args: unknown[]) => unknown;
  const delayed = <T extends object>(query: T): T =>
    new Proxy(query, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== "function") return value;
        const call = value as Call;
        if (key === "then") {
          return (ok: (rows: unknown) => unknown, fail: (error: unknown) => unknown) =>
            call.call(target, (rows: unknown) => (read(), answer.then(() => ok(rows))), fail);
        }
        return (...args: unknown[]) => {
          const out = call.apply(target, args);
          return typeof out === "object" && out !== null ? delayed(out) : out;
        };
      },
    });
  const db = new Proxy(database, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      const call = value as Call;
      if (key !== "select" || !armed) return call.bind(target);
      return (...args: unknown[]) => {
        armed = false;
        return delayed(call.apply(target, args) as object);
      };
    },
  });
  return {
    db,
    read: readDone,
    release,
    arm: () => void (armed = true),
  };
}

describe.each(databaseTargets())("account pool reload on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  const box = new SecretBox(randomBytes(32));
  const clientsMade: string[] = [];
  const makeClient: XClientFactory = (label, secrets) => {
    clientsMade.push(label);
    return createXAccountClient({ apiRoot: x().baseUrl, credentials: clientCredentialsOf(secrets), requestTimeoutMs: 5_000 });
  };

  /** Replica A (stores) and replica B (reloads), each with its own pool over the same rows. */
  async function replicas(bFactory: XClientFactory = makeClient) {
    clientsMade.length = 0;
    const a = await XAccounts.register(db(), new Map());
    const store = createAccountStore({ db: db(), accounts: a, box, makeClient, resetBreaker: () => undefined });
    const b = await XAccounts.register(db(), new Map());
    const sync = createAccountSync({ db: db(), accounts: b, box, makeClient: bFactory, logger: silentLogger() });
    return { a, store, b, sync };
  }
  const labels = (pool: XAccounts) => pool.all().map((account) => account.label);

  it("a stored account joins the other pool, callable with its credentials; a removed one leaves it", async () => {
    x().addUser({ id: "820001", username: "second_acct", accessToken: "second-token" });
    const { store, b, sync } = await replicas();
    await store.store("second", oauth1("second-token"));
    expect(labels(b)).toEqual([]);

    expect(await sync.reload()).toEqual({ added: ["second"], removed: [], replaced: [], failed: [] });
    expect(labels(b)).toEqual(["second"]);
    const held = b.all()[0]!;
    expect((await held.client.me()).username).toBe("second_acct");
    expect((await b.rows()).map((row) => row.status)).toEqual(["active"]);
    // Nothing changed: the client stays.
    expect(await sync.reload()).toEqual({ added: [], removed: [], replaced: [], failed: [] });
    expect(b.get(held.id)?.client).toBe(held.client);

    await store.disable("second");
    expect(await sync.reload()).toEqual({ added: [], removed: [], replaced: [], failed: [] });
    expect((await b.rows()).map((row) => row.status)).toEqual(["disabled"]);

    await store.remove("second");
    expect(await sync.reload()).toMatchObject({ removed: ["second"] });
    expect(labels(b)).toEqual([]);
    // A publish that took the client before the reload finishes its call with it.
    expect((await held.client.me()).username).toBe("second_acct");
  });

  it("a removed account kept as a tombstone (replies refer to it) leaves the pool too", async () => {
    x().addUser({ id: "820002", username: "kept_acct", accessToken: "kept-token" });
    const { store, b, sync } = await replicas();
    const saved = await store.store("kept", oauth1("kept-token"));
    await sync.reload();
    // Credentials erased, row kept disabled under a freed label: what remove does when posts or replies refer to it.
    await db().update(xAccounts).set({ credentials: null, status: "disabled", label: `kept~removed-${saved.id}` }).where(eq(xAccounts.id, saved.id));
    expect(await sync.reload()).toMatchObject({ removed: ["kept"] });
    expect(labels(b)).toEqual([]);
  });

  it("new credentials in the row (a reconnect on another replica) give the account a new client", async () => {
    x().addUser({ id: "820003", username: "renewed", accessToken: "old-token" });
    const { store, b, sync } = await replicas();
    const saved = await store.store("renewed", oauth1("old-token"));
    await sync.reload();
    const before = b.get(saved.id)!.client;
    x().addUser({ id: "820004", username: "renewed_new", accessToken: "new-token" });
    await db().update(xAccounts).set({ credentials: box.seal(JSON.stringify(oauth1("new-token").credentials)) }).where(eq(xAccounts.id, saved.id));

    expect(await sync.reload()).toEqual({ added: [], removed: [], replaced: ["renewed"], failed: [] });
    expect(b.get(saved.id)!.client).not.toBe(before);
    expect((await b.get(saved.id)!.client.me()).username).toBe("renewed_new");
  });

  it("reloads run one at a time: a slow reload's older read never brings back an account a later one saw removed", async () => {
    x().addUser({ id: "820005", username: "third_acct", accessToken: "third-token" });
    const slow = slowNextSelect(db());
    const { store, b } = await replicas();
    const sync = createAccountSync({ db: slow.db, accounts: b, box, makeClient, logger: silentLogger() });
    await store.store("third", oauth1("third-token"));
    await sync.reload();
    expect(labels(b)).toEqual(["third"]);

    // The first reload has read the rows (the account still there) but its answer is late; the account is removed,
    // and a second reload is asked meanwhile.
    slow.arm();
    const first = sync.reload();
    await slow.read;
    await store.remove("third");
    const second = sync.reload();
    // Unserialised, the second reload would finish first and the late answer would then add the account again;
    // serialised, the second waits for the first (the bound only keeps the test from waiting forever on it).
    await Promise.race([second, new Promise((resolve) => setTimeout(resolve, 200))]);
    slow.release();
    await Promise.all([first, second]);
    expect(labels(b)).toEqual([]);
  });

  it("a reload that fails is owed: catch-up does it again, and does nothing once it went through", async () => {
    x().addUser({ id: "820006", username: "flaky_acct", accessToken: "flaky-token" });
    let refuse = true;
    const flaky: XClientFactory = (label, secrets) => {
      if (refuse) throw new Error("client could not be built");
      return makeClient(label, secrets);
    };
    const { store, b, sync } = await replicas(flaky);
    await store.store("flaky", oauth1("flaky-token"));
    expect(await sync.reload()).toEqual({ added: [], removed: [], replaced: [], failed: ["flaky"] });
    expect(labels(b)).toEqual([]);

    refuse = false;
    clientsMade.length = 0;
    await sync.catchUp();
    expect(labels(b)).toEqual(["flaky"]);
    await sync.catchUp();
    expect(clientsMade).toEqual(["flaky"]);
  });

  it("without the key the reload fails for the stored accounts and the process goes on", async () => {
    x().addUser({ id: "820007", username: "sealed_acct", accessToken: "sealed-token" });
    const { store } = await replicas();
    await store.store("sealed", oauth1("sealed-token"));
    const keyless = createAccountSync({ db: db(), accounts: await XAccounts.register(db(), new Map()), box: undefined, makeClient, logger: silentLogger() });
    expect(await keyless.reload()).toMatchObject({ added: [], failed: ["sealed"] });
    const wrongKey = createAccountSync({
      db: db(),
      accounts: await XAccounts.register(db(), new Map()),
      box: new SecretBox(randomBytes(32)),
      makeClient,
      logger: silentLogger(),
    });
    expect(await wrongKey.reload()).toMatchObject({ added: [], failed: ["sealed"] });
  });
});
