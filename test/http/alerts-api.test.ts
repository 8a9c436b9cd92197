/**
 * The admin API of alert delivery over real HTTP: absent without ADMIN_API_TOKEN; 401 without the
 * right bearer token; 400 naming the bad field; 404 for unknown alerts; rules, enabled channels,
 * retry queue and statistics that move as alerts are delivered.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Alerting } from "../../src/alerts/alerting.js";
import { alerts } from "../../src/db/schema.js";
import { registerAlertRoutes } from "../../src/http/alerts-routes.js";
import { HttpServer } from "../../src/http/server.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertingFor, clearAlertTables, fakeClock, startWebhookReceiver, type WebhookReceiver } from "../alerts/support.js";

const TOKEN = "admin-token-0123456789abcdef";

describe.each(databaseTargets())("alerts admin API ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let tg: TelegramEmulator;
  let hook: WebhookReceiver;
  let http: HttpServer;
  let alerting: Alerting;
  let base: string;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    hook = await startWebhookReceiver();
  });
  afterAll(async () => {
    await tg.close();
    await hook.close();
  });
  beforeEach(async (context) => {
    tg.reset();
    const wired = alertingFor(tg, db(), fakeClock(), { ADMIN_API_TOKEN: TOKEN, ALERT_WEBHOOK_URL: hook.url });
    alerting = wired.alerting;
    http = new HttpServer(silentLogger());
    registerAlertRoutes(http, alerting, wired.config.alerts.adminApiToken);
    const address = await http.listen("127.0.0.1", 0);
    base = `http://127.0.0.1:${address.port}/api/v1/fallback`;
    context.onTestFinished(() => http.close());
  });

  /** `token` null = no Authorization header. */
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const response = await fetch(`${base}/${path}`, {
      method,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), "content-type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };

  it("is not there at all without ADMIN_API_TOKEN", async () => {
    const { alerting: tokenless, config } = alertingFor(tg, db(), fakeClock());
    const bare = new HttpServer(silentLogger());
    registerAlertRoutes(bare, tokenless, config.alerts.adminApiToken);
    const address = await bare.listen("127.0.0.1", 0);
    try {
      const response = await fetch(`http://127.0.0.1:${address.port}/api/v1/fallback/statistics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it("answers 401 to a missing or wrong token on every route, 200 to the right one", async () => {
    const routes: [string, string, unknown?][] = [
      ["GET", "dead-letters"],
      ["POST", "dead-letters/1/reprocess"],
      ["GET", "retry-queue"],
      ["GET", "statistics"],
      ["POST", "rules/error", { primary: "telegram" }],
      ["DELETE", "rules/error"],
      ["POST", "global-channels", { channels: ["telegram"] }],
    ];
    for (const [method, path, body] of routes) {
      const missing = await call(method, path, body, null);
      expect(missing.status, `${method} ${path}`).toBe(401);
      expect(missing.headers.get("www-authenticate")).toBe("Bearer");
      expect((await call(method, path, body, "wrong")).status).toBe(401);
      expect((await call(method, path, body, `${TOKEN}x`)).status).toBe(401);
    }
    const basic = await fetch(`${base}/statistics`, { headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    expect((await call("GET", "statistics")).status).toBe(200);
    expect((await call("GET", "dead-letters")).body).toEqual({ count: 0, deadLetters: [] });
    // Nothing changed behind a 401.
    expect((await alerting.statistics()).enabledChannels).toEqual(["telegram", "webhook"]);
  });

  it("answers 400 naming the field of a bad body or parameter", async () => {
    const cases: [string, string, unknown, string][] = [
      ["POST", "rules/error", { primary: "pigeon" }, "primary"],
      ["POST", "rules/error", {}, "primary"],
      ["POST", "rules/error", { primary: "email" }, "primary"], // not configured here
      ["POST", "rules/error", { primary: "telegram", fallbacks: "webhook" }, "fallbacks"],
      ["POST", "rules/error", { primary: "telegram", fallbacks: ["telegram"] }, "fallbacks"],
      ["POST", "rules/error", { primary: "telegram", fallbacks: ["webhook", "webhook"] }, "fallbacks"],
      ["POST", "rules/error", { primary: "telegram", strategy: "random" }, "strategy"],
      ["POST", "rules/error", { primary: "telegram", colour: "red" }, "colour"],
      ["POST", "rules/error", "[1,2]", "body"],
      ["POST", "rules/error", "{oops", "body"],
      ["POST", "rules/loud", { primary: "telegram" }, "level"],
      ["DELETE", "rules/loud", undefined, "level"],
      ["POST", "global-channels", {}, "channels"],
      ["POST", "global-channels", { channels: [] }, "channels"],
      ["POST", "global-channels", { channels: ["telegram", "fax"] }, "channels"],
      ["POST", "dead-letters/abc/reprocess", undefined, "id"],
      ["POST", "dead-letters/1/reprocess", { channels: ["smoke"] }, "channels"],
      ["POST", "dead-letters/1/reprocess", { channel: ["webhook"] }, "channel"],
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(answer.body.field, `${method} ${path} ${JSON.stringify(body)}`).toBe(field);
      expect(answer.body.error).toEqual(expect.any(String));
    }
  });

  it("answers 404 for an unknown alert and 409 for one that is not a dead letter", async () => {
    expect(await call("POST", "dead-letters/999/reprocess")).toMatchObject({ status: 404, body: { error: "no alert 999" } });
    await alerting.raise({ type: "bot_started", level: "warning", message: "up" });
    await alerting.deliverDue();
    const [row] = await db().select().from(alerts);
    expect(await call("POST", `dead-letters/${row!.id}/reprocess`)).toMatchObject({ status: 409 });
  });

  it("sets and resets a level's rule, and the global channels", async () => {
    const set = await call("POST", "rules/critical", { primary: "webhook", fallbacks: ["telegram"], strategy: "health_based" });
    expect(set).toMatchObject({ status: 200, body: { level: "critical", rule: { primary: "webhook", fallbacks: ["telegram"], strategy: "health_based" } } });
    let stats = (await call("GET", "statistics")).body as { rules: Record<string, unknown>; enabledChannels: string[] };
    expect(stats.rules.critical).toEqual({ primary: "webhook", fallbacks: ["telegram"], strategy: "health_based", custom: true });
    expect(stats.rules.error).toEqual({ primary: "telegram", fallbacks: ["webhook"], strategy: "priority_order", custom: false });

    await alerting.raise({ type: "initialization_failed", level: "critical", message: "no database" });
    await alerting.deliverDue();
    expect(hook.received).toHaveLength(1);

    expect(await call("DELETE", "rules/critical")).toMatchObject({ status: 200, body: { removed: true, custom: false, rule: { primary: "telegram" } } });
    expect(await call("POST", "global-channels", { channels: ["webhook"] })).toMatchObject({ status: 200, body: { channels: ["webhook"] } });
    stats = (await call("GET", "statistics")).body as typeof stats;
    expect(stats.rules.critical).toMatchObject({ primary: "telegram", custom: false });
    expect(stats.enabledChannels).toEqual(["webhook"]);

    // Telegram is disabled: the default rule's primary is skipped and the webhook gets it.
    await alerting.raise({ type: "initialization_failed", level: "critical", key: "again", message: "still no database" });
    await alerting.deliverDue();
    expect(hook.received).toHaveLength(2);
    expect(tg.calls("sendMessage")).toHaveLength(0);
  });

  it("shows the retry queue and statistics that move with deliveries", async () => {
    const before = (await call("GET", "statistics")).body as { channels: Record<string, Record<string, unknown>> };
    expect(before.channels.telegram).toMatchObject({ configured: true, enabled: true, attempts: 0, successRate: null, meanLatencyMs: null });
    expect(before.channels.email).toMatchObject({ configured: false, enabled: false, attempts: 0 });

    await alerting.raise({ type: "bot_started", level: "warning", message: "up" });
    await alerting.deliverDue();
    tg.setDown(true);
    hook.status = 503;
    await alerting.raise({ type: "bot_stopped", level: "warning", message: "down" });
    await alerting.deliverDue();

    const queue = await call("GET", "retry-queue");
    expect(queue).toMatchObject({ status: 200, body: { pending: 1, retrying: 1 } });
    expect((queue.body.alerts as Record<string, unknown>[])[0]).toMatchObject({
      type: "bot_stopped",
      status: "pending",
      failedAttempts: 1,
      lastError: expect.stringContaining("webhook answered 503") as unknown,
    });
    const after = (await call("GET", "statistics")).body as {
      channels: Record<string, Record<string, unknown>>;
      alerts: Record<string, number>;
    };
    expect(after.channels.telegram).toMatchObject({ attempts: 2, successes: 1, failures: 1, successRate: 0.5 });
    expect(after.channels.telegram!.meanLatencyMs).toEqual(expect.any(Number));
    expect(after.channels.webhook).toMatchObject({ attempts: 1, successes: 0, failures: 1, successRate: 0 });
    expect(after.alerts).toMatchObject({ pending: 1, retrying: 1, delivered: 1, dead: 0 });
  });
});
