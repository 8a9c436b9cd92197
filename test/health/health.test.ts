import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HEALTH_DIGEST_JOB } from "../../src/app.js";
import { overallStatus } from "../../src/health/health-service.js";
import { recordEvent } from "../../src/workflow/stats.js";
import { localDayStart } from "../../src/workflow/stats.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

/** Parses Prometheus text exposition into `name{labels}` → value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

describe("overall status rules", () => {
  it.each([
    [{ database: { state: "ok" }, x: { state: "ok" } }, "healthy"],
    [{ database: { state: "down" }, x: { state: "ok" } }, "error"],
    [{ database: { state: "ok" }, "x:main": { state: "degraded" } }, "degraded"],
    [{ database: { state: "ok" }, breakers: { state: "degraded" } }, "degraded"],
    [{ database: { state: "ok" }, ai: { state: "not_configured" } }, "degraded"],
    [{ database: { state: "ok" }, telegram: { state: "down" } }, "degraded"],
  ] as const)("%o → %s", (components, expected) => {
    const withDetail = Object.fromEntries(Object.entries(components).map(([k, v]) => [k, { ...v, detail: "" }]));
    expect(overallStatus(withDetail)).toBe(expected);
  });
});

describe("/health, /ready, /metrics and the digest", () => {
  let rig: WorkflowRig;
  let app: TestApp;
  let database: TestDatabase;
  let hangPing = false;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    database = await createPgliteTestDatabase();
    const real = database.handle;
    // The database handle with a switch that makes its ping hang, as a stuck connection would.
    const hangable = { ...real, ping: () => (hangPing ? new Promise<number>(() => undefined) : real.ping()) };
    app = await startTestApp(rig.tg, { env: rig.env({ RETRY_BASE_DELAY_MS: "5", RETRY_MAX_DELAY_MS: "20" }), database: { ...database, handle: hangable } });
  });
  afterEach(() => {
    hangPing = false;
  });
  afterAll(async () => {
    await app.stop();
    await database.dispose();
    await rig.close();
  });

  it("/health lists every component and answers in time with the database hung", async () => {
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    const healthy = await rig.tg.waitForBotMessage((m) => m.text.includes("Health:") && m.text.includes("queues"));
    for (const name of ["database", "telegram", "x:main", "ai", "queues", "jobs", "workflow", "breakers"]) {
      expect(healthy.text).toContain(`<b>${name}</b>`);
    }
    expect(healthy.text).toMatch(/version \S+, up /);
    expect(healthy.inlineKeyboard[0]?.[0]?.text).toContain("Refresh");

    hangPing = true;
    const response = await fetch(`${app.httpUrl}/health`);
    const body = (await response.json()) as { overall: string; components: Record<string, string> };
    expect(response.status).toBe(200);
    expect(body.overall).toBe("error");
    expect(body.components.database).toBe("down");
    const report = await app.app.health.report();
    expect(report.components.database?.detail).toBe("database did not answer within 800 ms");
  });

  it("/ready is 200 while the database answers and the bot polls, 503 when the database hangs", async () => {
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/help" });
    await rig.tg.waitForBotMessage((m) => m.text.includes("/queue"));
    const ready = await fetch(`${app.httpUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, database: true, polling: true });
    hangPing = true;
    const notReady = await fetch(`${app.httpUrl}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ ready: false, database: false });
  });

  it("an open X breaker makes /health degraded with a reset button that closes it", async () => {
    rig.x.setDown(503);
    const policy = app.app.registry.policy("x:main", "x");
    for (let i = 0; i < 3; i++) await policy.execute(() => Promise.reject(Object.assign(new Error("down"), { code: "ECONNRESET" }))).catch(() => undefined);
    rig.x.setDown(null);
    expect(policy.state).toBe("open");
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    const degraded = await rig.tg.waitForBotMessage((m) => m.text.includes("Health: degraded") && m.text.includes("breaker open"));
    const reset = degraded.inlineKeyboard.flat().find((b) => b.text === "Reset x:main");
    expect(reset?.callbackData).toBe("v1:br:x:main");
    const id = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: degraded.messageId, data: reset!.callbackData! });
    expect((await rig.tg.waitForCallbackAnswer(id)).text).toBe("Breaker x:main reset.");
    expect(policy.state).toBe("closed");
    await rig.tg.waitForBotMessage((m) => m.messageId === degraded.messageId && m.editCount > 0 && !m.text.includes("Reset x:main"));
  });

  it("/metrics is Prometheus text and moves with the workflow", async () => {
    const before = parseMetrics(await (await fetch(`${app.httpUrl}/metrics`)).text());
    expect(before.has("rgb_nodejs_eventloop_lag_seconds")).toBe(true);
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy metrics please?" });
    await app.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.text.includes("metrics please?") && m.inlineKeyboard.length > 0);
    const id = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
    await rig.tg.waitForCallbackAnswer(id);
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.x.repliesTo(mention.id)).toHaveLength(1);
    const response = await fetch(`${app.httpUrl}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const after = parseMetrics(await response.text());
    const value = (name: string, map: Map<string, number>) => map.get(name) ?? 0;
    expect(value("rgb_updates_handled_total", after)).toBeGreaterThan(value("rgb_updates_handled_total", before));
    for (const kind of ["discovered", "drafted", "approved", "published"]) {
      const name = `rgb_workflow_events{kind="${kind}"}`;
      expect(value(name, after)).toBe(value(name, before) + 1);
    }
    expect(value('rgb_publish_attempts{outcome="posted"}', after)).toBe(value('rgb_publish_attempts{outcome="posted"}', before) + 1);
    expect(after.has('rgb_circuit_breaker_state{policy="x:main"}')).toBe(true);
    expect(after.get('rgb_x_account_status{account="main",status="active"}')).toBe(1);
    expect(after.get('rgb_x_account_status{account="main",status="failed"}')).toBe(0);
    // Per account: what it put on X, what it failed, and its load as least_loaded counts it (the last hour).
    expect(value('rgb_x_account_posts{account="main"}', after)).toBe(value('rgb_x_account_posts{account="main"}', before) + 1);
    expect(value('rgb_x_account_load{account="main"}', after)).toBe(value('rgb_x_account_load{account="main"}', before) + 1);
    expect(after.get('rgb_x_account_failures{account="main"}')).toBe(before.get('rgb_x_account_failures{account="main"}'));
    expect(before.has('rgb_x_account_failures{account="main"}')).toBe(true);
  });

  it("the daily digest shows yesterday's numbers and what is degraded", async () => {
    const yesterdayNoon = new Date(localDayStart(new Date(), "UTC", -1).getTime() + 12 * 3_600_000);
    await recordEvent(database.handle.db, { kind: "published", at: yesterdayNoon });
    await recordEvent(database.handle.db, { kind: "rejected", at: yesterdayNoon });
    await app.app.workflow.pause.pause(ADMIN.id);
    await app.app.scheduler.runNow(HEALTH_DIGEST_JOB);
    const digest = await rig.tg.waitForBotMessage((m) => m.text.includes("Daily digest"));
    expect(digest.text).toContain("rejected 1");
    expect(digest.text).toMatch(/published [1-9]/);
    expect(digest.text).toContain("<b>workflow</b>: paused since");
    await app.app.workflow.pause.resume(ADMIN.id);
  });
});
