/**
 * The world of the account tests: a file's own database and fake X, X accounts registered against it, and the
 * pool of three accounts (a, b, c) with a publisher, a dead-letter queue and the health monitor.
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { Database } from "../../src/db/database.js";
import { createAccountMonitor, type AccountMonitorDeps } from "../../src/workflow/account-monitor.js";
import { XAccounts } from "../../src/workflow/accounts.js";
import type { NoticeSink } from "../../src/workflow/notices.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XAccountClient } from "../../src/x/types.js";
import { createPgliteTestDatabase, type TestDatabase } from "./database.js";
import { startFakeX, type FakeX, type FakeXUser } from "./fake-x/index.js";
import { silentLogger } from "./logger.js";
import { createPublishFixture, type QueueOptions, type QueueRig } from "./publish-fixture.js";
import { clearWorkflowTables } from "./workflow-fixtures.js";

/** A test file's database and fake X, and the database's handle. */
export interface OwnDatabaseAndFakeX {
  readonly db: () => Database;
  readonly x: () => FakeX;
  readonly database: () => TestDatabase;
}

/**
 * Gives the calling `describe` its own database (`create`, PGlite by default) and fake X: made once, emptied
 * (workflow tables, X's users, posts, faults and log) before each test, closed after the last one. Call it before
 * the file's own `beforeEach`, which then runs on the emptied world.
 */
export function useOwnDatabaseAndFakeX(create: () => Promise<TestDatabase> = createPgliteTestDatabase): OwnDatabaseAndFakeX {
  let database: TestDatabase | undefined;
  let x: FakeX | undefined;
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the database and the fake X are made in beforeAll");
    return value;
  };
  beforeAll(async () => {
    database = await create();
    x = await startFakeX();
  });
  afterAll(async () => {
    await x?.close();
    await database?.dispose();
  });
  beforeEach(async () => {
    await clearWorkflowTables(made(database).handle.db);
    made(x).reset();
  });
  return { db: () => made(database).handle.db, x: () => made(x), database: () => made(database) };
}

/** An OAuth 1.0a client of the user holding `accessToken` at the fake X. */
export function fakeXClient(x: FakeX, accessToken: string, requestTimeoutMs = 5_000): XAccountClient {
  return createXAccountClient({
    apiRoot: x.baseUrl,
    credentials: { appKey: "app-key", appSecret: "app-secret", accessToken, accessSecret: "access-secret" },
    requestTimeoutMs,
  });
}

/** Registers an account per label, each the fake X's user holding the token given for it, in that order. */
export function registerFakeXAccounts(db: Database, x: FakeX, tokens: Readonly<Record<string, string>>, notify?: NoticeSink): Promise<XAccounts> {
  const clients = new Map(Object.entries(tokens).map(([label, token]) => [label, fakeXClient(x, token)]));
  return XAccounts.register(db, clients, notify);
}

/** The access tokens of the pool's accounts a, b and c at the fake X. */
export const POOL_TOKENS = { a: "pool-token-a", b: "pool-token-b", c: "pool-token-c" } as const;

/** The fake X's users behind the pool's accounts. */
export interface PoolUsers {
  readonly a: FakeXUser;
  readonly b: FakeXUser;
  readonly c: FakeXUser;
}

/** Adds the users of accounts a (replyguy), b (replygal) and c (replybot) to the fake X, and alice, who posts. */
export function addPoolUsers(x: FakeX): { users: PoolUsers; alice: FakeXUser } {
  return {
    users: {
      a: x.addUser({ id: "810001", username: "replyguy", accessToken: POOL_TOKENS.a }),
      b: x.addUser({ id: "810002", username: "replygal", accessToken: POOL_TOKENS.b }),
      c: x.addUser({ id: "810003", username: "replybot", accessToken: POOL_TOKENS.c }),
    },
    alice: x.addUser({ id: "810009", username: "alice" }),
  };
}

const MINUTE = 60_000;
/** The health monitor's interval in the pool tests (ACCOUNT_HEALTH_INTERVAL_SECONDS). */
export const MONITOR_INTERVAL_MS = MINUTE;
/** How long a breaker may stay open before the monitor fails its account (ACCOUNT_FAIL_AFTER_SECONDS). */
export const MONITOR_FAIL_AFTER_MS = 10 * MINUTE;

/** A health monitor over `accounts`: every breaker closed and nothing woken unless `overrides` say otherwise. */
export function createTestMonitor(accounts: XAccounts, overrides: Partial<Omit<AccountMonitorDeps, "accounts">> = {}) {
  return createAccountMonitor({
    logger: silentLogger(),
    intervalMs: MONITOR_INTERVAL_MS,
    failAfterMs: MONITOR_FAIL_AFTER_MS,
    ...overrides,
    accounts,
    breakerDownSince: overrides.breakerDownSince ?? (() => undefined),
    wakePublisher: overrides.wakePublisher ?? (() => undefined),
  });
}

/** The dead-letter queue of the pool tests. */
const POOL_DLQ = { cron: "15 * * * * *", baseDelaySeconds: 60, backoffMultiplier: 2, maxRetries: 5 };

/** A publisher and its dead-letter queue over accounts a, b and c, with their ids. */
export interface PoolRig extends QueueRig {
  readonly ids: { readonly a: number; readonly b: number; readonly c: number };
}

/**
 * The publish fixture of account a (see publish-fixture.ts), whose `buildPool` wires a publisher and its
 * dead-letter queue over accounts a, b and c, registered in that order with their X identities resolved.
 */
export function createPoolFixture(env: { readonly db: () => Database; readonly x: () => FakeX; readonly now: () => Date }) {
  const fixture = createPublishFixture({ ...env, token: POOL_TOKENS.a, label: "a" });
  return {
    ...fixture,
    buildPool: async (opts: QueueOptions = {}): Promise<PoolRig> => {
      const pool = [
        { label: "b", token: POOL_TOKENS.b },
        { label: "c", token: POOL_TOKENS.c },
      ];
      const rig = await fixture.buildWithQueue(POOL_DLQ, { ...opts, pool });
      for (const account of rig.accounts.all()) await rig.accounts.identity(account);
      const [a, b, c] = rig.accounts.all().map((account) => account.id) as [number, number, number];
      return { ...rig, ids: { a, b, c } };
    },
  };
}
