import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { replies } from "../../src/db/schema.js";
import { DATABASE_DOWN_TEXT } from "../../src/bot/middlewares/database-gate.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { createPostgresTestDatabase, databaseTargets } from "../support/database.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const connectionRefused = () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));

describe("database outages", () => {
  let rig: WorkflowRig;
  let app: TestApp | undefined;

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  it("while the database breaker is open, commands answer at once, /health says so, jobs pause; reset resumes", async () => {
    app = await startTestApp(rig.tg, { env: rig.env({ DB_BREAKER_THRESHOLD: "2", RETRY_MAX_ATTEMPTS: "1" }) });
    const db = app.app.registry.policy("db", "db");
    await db.execute(connectionRefused).catch(() => undefined);
    await db.execute(connectionRefused).catch(() => undefined);
    expect(db.state).toBe("open");

    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/queue" });
    await rig.tg.waitForBotMessage((m) => m.text === DATABASE_DOWN_TEXT);
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    const health = await rig.tg.waitForBotMessage((m) => m.text.includes("Health"));
    expect(health.text).toMatch(/breakers.*db open/s);

    rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy are you there?" });
    await app.app.scheduler.runNow(JOBS.discovery);
    expect(rig.x.requests()).toHaveLength(0);

    app.app.registry.reset("db");
    await app.app.scheduler.runNow(JOBS.discovery);
    await rig.tg.waitForBotMessage((m) => m.text.includes("are you there?") && m.inlineKeyboard.length > 0);
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/queue" });
    await rig.tg.waitForBotMessage((m) => m.text.includes("Queue"));
  });

  const serverUrl = databaseTargets().some((t) => t.name === "postgres") ? process.env.TEST_DATABASE_URL : undefined;
  it.runIf(serverUrl !== undefined)("survives its connections being killed under load: nothing lost, nothing published twice", { timeout: 60_000 }, async () => {
    const url = serverUrl!;
    const database = await createPostgresTestDatabase(url);
    const admin = postgres(url, { max: 1, onnotice: () => undefined });
    const dbName = new URL(database.url!).pathname.slice(1);
    const killConnections = () =>
      admin`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = ${dbName} and pid <> pg_backend_pid()`;
    try {
      app = await startTestApp(rig.tg, {
        database,
        // A claim whose answer died with the connection goes back at the next run; a short lease (and a 1 s retry
        // base) keeps anything held by a write that never came back inside the test's window.
        env: rig.env({
          DB_BREAKER_HALF_OPEN_SECONDS: "1",
          RETRY_BASE_DELAY_MS: "50",
          RETRY_MAX_DELAY_MS: "200",
          PUBLISH_LEASE_SECONDS: "10",
          PUBLISH_RETRY_BASE_SECONDS: "1",
          // Eight posts by one author: above the default per-author spend cap (3), which is not what this tests.
          MAX_DRAFTS_PER_AUTHOR_PER_DAY: "10",
        }),
      });
      const mentions = Array.from({ length: 8 }, (_, i) =>
        rig.x.addTweet({ authorId: rig.alice.id, text: `@replyguy outage question ${i}?` }),
      );
      await app.app.scheduler.runNow(JOBS.discovery);
      const cards = await Promise.all(
        mentions.map((_, i) =>
          rig.tg.waitForBotMessage((m) => m.text.includes(`outage question ${i}?`) && m.inlineKeyboard.length > 0),
        ),
      );
      const killer = setInterval(() => void killConnections().catch(() => undefined), 150);
      try {
        for (const card of cards) {
          await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
          await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
        }
      } finally {
        clearInterval(killer);
      }
      // After the outage every card must get approved and published exactly once; presses that hit
      // the outage were refused with the notice, so press again where the card still waits.
      const deadline = Date.now() + 40_000;
      while (mentions.some((m) => rig.x.repliesTo(m.id).length === 0)) {
        if (Date.now() > deadline) {
          const rows = await database.handle.db
            .select({ id: replies.id, status: replies.status, reason: replies.failureReason, lease: replies.leaseUntil })
            .from(replies);
          throw new Error(`replies were lost in the outage: ${JSON.stringify(rows.filter((r) => r.status !== "published"))}`);
        }
        for (const card of cards) {
          const current = rig.tg.botMessages(ADMIN_CHAT.id).find((m) => m.messageId === card.messageId);
          if (current && current.inlineKeyboard.length > 0) {
            await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(current, "Approve") });
          }
        }
        await app.app.scheduler.runNow(JOBS.publish, { rerun: true });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      for (const mention of mentions) expect(rig.x.repliesTo(mention.id)).toHaveLength(1);
      expect(rig.posts()).toHaveLength(mentions.length);
    } finally {
      await app?.stop();
      app = undefined;
      await admin.end({ timeout: 5 });
      await database.dispose();
    }
  });
});

describe("postgres.js crash guard", () => {
  it("is installed: a connection that dies with a write queued settles its queries instead of crashing the process", () => {
    // Resolved like an import, so it also holds in a copy of the repository without node_modules (Stryker's sandbox).
    const packageRoot = join(dirname(createRequire(import.meta.url).resolve("postgres")), "../..");
    for (const variant of ["src", "cjs/src"]) {
      const source = readFileSync(join(packageRoot, variant, "connection.js"), "utf8");
      expect(source).toContain("if (socket === null) { // reply-guy-bot patch");
    }
  });
});
