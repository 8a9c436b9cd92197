/**
 * The wake-ups as the app wires them: two in-process apps on one PostgreSQL database (TEST_DATABASE_URL; skipped
 * under plain `npm test`), the first leads, the second stands by; PUBLISH_CRON is far away, so only a wake-up runs a
 * publish within the test.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { DatabaseHandle } from "../../src/db/database.js";
import { openPostgres } from "../../src/db/postgres.js";
import { xPolicyName } from "../../src/resilience/policy-names.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { createPostgresTestDatabase, type TestDatabase } from "../support/database.js";
import { startFakeX, type FakeX } from "../support/fake-x/index.js";
import { silentLogger } from "../support/logger.js";
import { createPublishFixture } from "../support/publish-fixture.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

const serverUrl = process.env.TEST_DATABASE_URL;
const TOKEN = "wake-app-token";
const FAST = { timeout: 1_000, interval: 5 };

describe.runIf(serverUrl)("wake-ups between two apps on one PostgreSQL database", () => {
  let tg: TelegramEmulator;
  let x: FakeX;
  let database: TestDatabase;
  let second: DatabaseHandle;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    x = await startFakeX();
  });
  afterAll(async () => {
    await tg.close();
    await x.close();
  });
  afterEach(async () => {
    for (const app of apps.splice(0).reverse()) await app.stop();
    await second.close();
    await database.dispose();
  });

  it("the leader's resume wakes the stand-by's publisher; the stand-by's card sync, settings change and opt-out reach the leader", { timeout: 60_000 }, async () => {
    database = await createPostgresTestDatabase(serverUrl!);
    const env = { DATABASE_URL: database.url!, PUBLISH_CRON: "0 0 1 1 *", DISCOVERY_CRON: "0 0 1 1 *" };
    apps.push(await startTestApp(tg, { env, database }));
    second = openPostgres(database.url!, silentLogger());
    apps.push(await startTestApp(tg, { env, database: { handle: second, url: database.url, dispose: () => second.close() } }));
    const [leader, standby] = apps.map((app) => app.app);
    expect([leader!.leadership.isLeader(), standby!.leadership.isLeader()]).toEqual([true, false]);
    // A stand-by that has not called Telegram is not "down" for it: the leader talks to Telegram.
    expect((await standby!.health.report()).components.telegram).toEqual({ state: "ok", detail: "stand-by: the leader talks to Telegram" });

    expect(standby!.scheduler.lastRuns().get(JOBS.publish)).toBeUndefined();
    await leader!.workflow.pause.pause(1);
    await leader!.workflow.pause.resume(1);
    await vi.waitFor(() => expect(standby!.scheduler.lastRuns().get(JOBS.publish)?.finishedAt).toBeInstanceOf(Date), FAST);

    const fixture = createPublishFixture({ db: () => database.handle.db, x: () => x, now: () => new Date(), token: TOKEN });
    x.addUser({ id: "930001", username: "replyguy", name: "Reply Guy", accessToken: TOKEN });
    const alice = x.addUser({ id: "930002", username: "alice", name: "Alice" });
    const { account } = await fixture.build();
    const { post } = await fixture.seedReply(account.id, alice, { awaiting: true });
    await standby!.workflow.cards.sync();
    await tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes(post.text), 1_000);

    expect((await leader!.workflow.settings.current()).minDelayMinutes).not.toBe(9);
    expect(await standby!.workflow.settings.set("min_delay", "9", 1)).toMatchObject({ ok: true });
    await vi.waitFor(async () => expect((await leader!.workflow.settings.current()).minDelayMinutes).toBe(9), FAST);

    // An opt-out stored on the stand-by reaches the leader's publisher, whose cache had already read the opt-outs.
    expect(await leader!.workflow.optOuts.anyOptedOut(["dora"])).toBe(false);
    expect(await standby!.workflow.watchlist.optOut("dora", 1)).toMatchObject({ ok: true, added: true });
    await vi.waitFor(async () => expect(await leader!.workflow.optOuts.anyOptedOut(["dora"])).toBe(true), FAST);
  });

  it("an account stored on the leader (/accounts add) joins the stand-by's pool and publishes from it; removed, it leaves", { timeout: 60_000 }, async () => {
    database = await createPostgresTestDatabase(serverUrl!);
    const env = {
      DATABASE_URL: database.url!,
      PUBLISH_CRON: "0 0 1 1 *",
      DISCOVERY_CRON: "0 0 1 1 *",
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      X_API_ROOT: x.baseUrl,
    };
    apps.push(await startTestApp(tg, { env, database }));
    second = openPostgres(database.url!, silentLogger());
    apps.push(await startTestApp(tg, { env, database: { handle: second, url: database.url, dispose: () => second.close() } }));
    const [leader, standby] = apps.map((app) => app.app);
    const added = x.addUser({ id: "930011", username: "added_acct", name: "Added", accessToken: "added-token" });
    const bob = x.addUser({ id: "930012", username: "bob_asks", name: "Bob" });
    const labels = () => standby!.workflow.accounts.all().map((account) => account.label);
    expect(labels()).toEqual([]);

    const saved = await leader!.accountStore.store("added", {
      authKind: "oauth1",
      credentials: { appKey: "app-key", appSecret: "app-secret", accessToken: "added-token", accessSecret: "access-secret" },
    });
    await vi.waitFor(() => expect(labels()).toEqual(["added"]), FAST);
    expect((await standby!.health.report()).components[xPolicyName("added")]).toBeDefined();

    // A reply only this account may publish goes out from the stand-by's own publish run. The runs the change woke
    // (the leader's own, the stand-by's after its reload) finish first: seeded after them, only the stand-by's run
    // below can take it.
    await leader!.scheduler.runNow(JOBS.publish);
    await standby!.scheduler.runNow(JOBS.publish);
    const fixture = createPublishFixture({ db: () => database.handle.db, x: () => x, now: () => new Date(), token: "added-token" });
    const { post } = await fixture.seedReply(saved.id, bob, { bound: true });
    await standby!.scheduler.runNow(JOBS.publish, { rerun: true });
    expect(x.repliesTo(post.id)).toHaveLength(1);
    expect(x.requests({ method: "POST", path: "/2/tweets" }).map((request) => request.callerUserId)).toEqual([added.id]);

    await leader!.accountStore.remove("added");
    await vi.waitFor(() => expect(labels()).toEqual([]), FAST);
    expect((await standby!.health.report()).components[xPolicyName("added")]).toBeUndefined();
  });
});
