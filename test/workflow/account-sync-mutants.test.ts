/**
 * The account pool reload beyond the two-replica basics (account-sync.test.ts): accounts opened at boot keep their
 * clients, env accounts are never taken out, a relabelled account leaves under its old label and joins under its
 * new one, a reload asked during a reload adds up both passes, and a reload that fails is logged and owed.
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { xAccounts } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import { clientCredentialsOf, createAccountStore, type AccountSecrets, type XClientFactory } from "../../src/workflow/account-store.js";
import { createAccountSync, type AccountReload } from "../../src/workflow/account-sync.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import { fakeXClient, useOwnDatabaseAndFakeX } from "../support/account-pool-fixture.js";
import { databaseTargets } from "../support/database.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { failingBuilder } from "../support/failing-builder.js";

const oauth1 = (accessToken: string): AccountSecrets => ({
  authKind: "oauth1",
  credentials: { appKey: "sync-app-key", appSecret: "sync-app-secret", accessToken, accessSecret: "sync-access-secret" },
});
const NOTHING: AccountReload = { added: [], removed: [], replaced: [], failed: [] };

describe.each(databaseTargets())("account pool reload, further cases, on $name", (target) => {
  const { db, x } = useOwnDatabaseAndFakeX(() => target.create());
  const box = new SecretBox(randomBytes(32));
  const makeClient: XClientFactory = (_label, secrets) =>
    createXAccountClient({ apiRoot: x().baseUrl, credentials: clientCredentialsOf(secrets), requestTimeoutMs: 5_000 });

  /** Replica A's pool and store, and replica B's pool. */
  async function replicas() {
    const a = await XAccounts.register(db(), new Map());
    const store = createAccountStore({ db: db(), accounts: a, box, makeClient, resetBreaker: () => undefined });
    const b = await XAccounts.register(db(), new Map());
    return { store, b };
  }
  const labels = (pool: XAccounts) => pool.all().map((account) => account.label);
  const lines = (captured: string[]) => captured.map((line) => JSON.parse(line) as { msg: string; level: number; account?: string; added?: string[] });

  it("accounts opened at boot keep their clients at the first reload; env accounts stay whatever their row holds", async () => {
    x().addUser({ id: "840001", username: "booted", accessToken: "booted-token" });
    x().addUser({ id: "840002", username: "from_env", accessToken: "env-token" });
    const { store } = await replicas();
    await store.store("booted", oauth1("booted-token"));
    // Replica B booted with the env account and the stored one opened (what main.ts does).
    const bootClient = makeClient("booted", oauth1("booted-token"));
    const b = await XAccounts.register(db(), new Map([["main", fakeXClient(x(), "env-token")], ["booted", bootClient]]));
    const before = new Map(b.all().map((account) => [account.label, account.client]));
    const sync = createAccountSync({
      db: db(),
      accounts: b,
      box,
      makeClient,
      logger: silentLogger(),
      // One opened account the pool does not hold (its row went meanwhile) is of no consequence.
      opened: [{ label: "booted", secrets: oauth1("booted-token") }, { label: "gone", secrets: oauth1("gone-token") }],
    });
    expect(await sync.reload()).toEqual(NOTHING);
    expect(labels(b)).toEqual(["main", "booted"]);
    for (const account of b.all()) expect(account.client).toBe(before.get(account.label));
  });

  it("a relabelled account leaves under its old label and joins under its new one, with a new client", async () => {
    x().addUser({ id: "840003", username: "relabelled", accessToken: "relabel-token" });
    const { store, b } = await replicas();
    const saved = await store.store("old-name", oauth1("relabel-token"));
    const sync = createAccountSync({ db: db(), accounts: b, box, makeClient, logger: silentLogger() });
    await sync.reload();
    const changes: string[] = [];
    b.onChange(({ added, removed }) => changes.push(added ? `+${added.label}` : `-${removed?.label}`));

    await db().update(xAccounts).set({ label: "new-name" }).where(eq(xAccounts.id, saved.id));
    expect(await sync.reload()).toEqual({ ...NOTHING, replaced: ["new-name"] });
    expect(labels(b)).toEqual(["new-name"]);
    expect(changes).toEqual(["-old-name", "+new-name"]);
  });

  it("a row deleted outright takes its account out; a stored row without credentials never joins", async () => {
    x().addUser({ id: "840004", username: "deleted", accessToken: "deleted-token" });
    const { store, b } = await replicas();
    const saved = await store.store("deleted", oauth1("deleted-token"));
    await db().insert(xAccounts).values({ label: "tombstone", origin: "stored", credentials: null, status: "disabled" });
    const made: string[] = [];
    const sync = createAccountSync({ db: db(), accounts: b, box, makeClient: (label, secrets) => (made.push(label), makeClient(label, secrets)), logger: silentLogger() });
    expect(await sync.reload()).toEqual({ ...NOTHING, added: ["deleted"] });
    await db().delete(xAccounts).where(eq(xAccounts.id, saved.id));
    expect(await sync.reload()).toEqual({ ...NOTHING, removed: ["deleted"] });
    expect(labels(b)).toEqual([]);
    expect(made).toEqual(["deleted"]);
  });

  it("a reload asked during a reload runs once more after it, and both callers get both passes added up", async () => {
    x().addUser({ id: "840005", username: "one_user", accessToken: "one-token" });
    x().addUser({ id: "840006", username: "two_user", accessToken: "two-token" });
    const { store, b } = await replicas();
    await store.store("one", oauth1("one-token"));
    await store.store("two", oauth1("two-token"));
    let joined: Promise<AccountReload | undefined> | undefined;
    let refuseTwo = true;
    const made: string[] = [];
    const factory: XClientFactory = (label, secrets) => {
      made.push(label);
      // While the first pass runs, another wake-up asks for a reload.
      if (label === "one") joined = sync.reload();
      if (label === "two" && refuseTwo) {
        refuseTwo = false;
        throw new Error("client could not be built");
      }
      return makeClient(label, secrets);
    };
    const sync = createAccountSync({ db: db(), accounts: b, box, makeClient: factory, logger: silentLogger() });

    const first = await sync.reload();
    // "two" failed in the first pass and joined in the second: only the last pass's failures are still owed.
    expect(first).toEqual({ ...NOTHING, added: ["one", "two"] });
    expect(await joined).toEqual(first);
    expect(made).toEqual(["one", "two", "two"]);
    expect(labels(b)).toEqual(["one", "two"]);
  });

  it("the combined result of two passes lists what each removed and replaced", async () => {
    x().addUser({ id: "840007", username: "stays", accessToken: "stays-token" });
    x().addUser({ id: "840008", username: "leaves", accessToken: "leaves-token" });
    const { store, b } = await replicas();
    const stays = await store.store("stays", oauth1("stays-token"));
    await store.store("leaves", oauth1("leaves-token"));
    let joined: Promise<AccountReload | undefined> | undefined;
    const sync = createAccountSync({
      db: db(),
      accounts: b,
      box,
      makeClient: (label, secrets) => {
        if (label === "stays" && joined === undefined && b.get(stays.id) !== undefined) joined = sync.reload();
        return makeClient(label, secrets);
      },
      logger: silentLogger(),
    });
    await sync.reload();
    // The first pass sees "leaves" gone and "stays" with new credentials, whose client asks for another reload;
    // the second pass finds nothing more.
    await store.remove("leaves");
    await db().update(xAccounts).set({ credentials: box.seal(JSON.stringify(oauth1("stays-token-2").credentials)) }).where(eq(xAccounts.id, stays.id));
    const reload = sync.reload();
    await reload;
    expect(await reload).toEqual({ ...NOTHING, removed: ["leaves"], replaced: ["stays"] });
    expect(await joined).toEqual({ ...NOTHING, removed: ["leaves"], replaced: ["stays"] });
  });

  it("a failed reload is logged and owed: it answers undefined, catch-up retries it, and then nothing is owed", async () => {
    x().addUser({ id: "840009", username: "late", accessToken: "late-token" });
    const { store, b } = await replicas();
    await store.store("late", oauth1("late-token"));
    const flaky = failingBuilder(db(), "select", () => new Error("connection to the database lost"));
    const { logger, lines: captured } = capturingLogger();
    const made: string[] = [];
    const sync = createAccountSync({ db: flaky.db, accounts: b, box, makeClient: (label, secrets) => (made.push(label), makeClient(label, secrets)), logger });

    flaky.fail(Infinity);
    expect(await sync.reload()).toBeUndefined();
    expect(lines(captured)).toEqual([expect.objectContaining({ level: 40, msg: "X account pool not reloaded; the next wake-up or publish poll retries" })]);
    flaky.recover();
    await sync.catchUp();
    expect(labels(b)).toEqual(["late"]);
    expect(lines(captured)[1]).toMatchObject({ level: 30, msg: "X account pool reloaded", added: ["late"] });
    await sync.catchUp();
    expect(made).toEqual(["late"]);
    // A reload that changes nothing logs nothing.
    expect(await sync.reload()).toEqual(NOTHING);
    expect(captured).toHaveLength(2);
  });

  it("each reload that changed the pool is logged with what it added, replaced or removed", async () => {
    x().addUser({ id: "840011", username: "logged", accessToken: "logged-token" });
    const { store, b } = await replicas();
    const saved = await store.store("logged", oauth1("logged-token"));
    const { logger, lines: captured } = capturingLogger();
    const sync = createAccountSync({ db: db(), accounts: b, box, makeClient, logger });
    await sync.reload();
    await db().update(xAccounts).set({ credentials: box.seal(JSON.stringify(oauth1("logged-token-2").credentials)) }).where(eq(xAccounts.id, saved.id));
    await sync.reload();
    await store.remove("logged");
    await sync.reload();
    expect(lines(captured)).toEqual(
      [
        { added: ["logged"], removed: [], replaced: [] },
        { added: [], removed: [], replaced: ["logged"] },
        { added: [], removed: ["logged"], replaced: [] },
      ].map((change): unknown => expect.objectContaining({ level: 30, msg: "X account pool reloaded", ...change })),
    );
  });

  it("catch-up owes nothing before the first reload", async () => {
    x().addUser({ id: "840012", username: "unasked", accessToken: "unasked-token" });
    const { store, b } = await replicas();
    await store.store("unasked", oauth1("unasked-token"));
    const sync = createAccountSync({ db: db(), accounts: b, box, makeClient, logger: silentLogger() });
    await sync.catchUp();
    expect(labels(b)).toEqual([]);
  });

  it("an account that cannot be opened is logged by label, saying why, and the next catch-up tries it again", async () => {
    x().addUser({ id: "840010", username: "sealed", accessToken: "sealed-token" });
    const { store, b } = await replicas();
    await store.store("sealed", oauth1("sealed-token"));
    const { logger, lines: captured } = capturingLogger();
    const keyless = createAccountSync({ db: db(), accounts: b, box: undefined, makeClient, logger });
    expect(await keyless.reload()).toEqual({ ...NOTHING, failed: ["sealed"] });
    const [logged] = lines(captured);
    expect(logged).toMatchObject({ level: 50, account: "sealed", msg: "stored X account not (re)loaded; the next wake-up or publish poll retries" });
    expect(captured[0]).toContain("ENCRYPTION_KEY is not set on this replica: stored X accounts cannot be opened");
    await keyless.catchUp();
    expect(captured).toHaveLength(2);
  });
});
