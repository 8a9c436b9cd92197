/** GET /ready and GET /health on their own HTTP server: ready means the database answers AND the bot polls. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHealthService, TelegramActivity } from "../../src/health/health-service.js";
import { registerHealthRoutes } from "../../src/http/health-routes.js";
import { createMetrics } from "../../src/http/metrics.js";
import { HttpServer } from "../../src/http/server.js";
import { ResilienceRegistry } from "../../src/resilience/registry.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";

const METRICS_TOKEN = "metrics-token-0123456789";
const SETTINGS = { timeoutMs: 0, retries: 0, baseDelayMs: 1, maxDelayMs: 1, breakerThreshold: 3, halfOpenAfterMs: 1_000 };

describe("/ready and /health", () => {
  let database: TestDatabase;
  let http: HttpServer;
  let guarded: HttpServer;
  let base: string;
  let guardedBase: string;
  let polling = false;

  beforeAll(async () => {
    database = await createPgliteTestDatabase();
    const registry = new ResilienceRegistry(
      { x: SETTINGS, ai: SETTINGS, db: SETTINGS },
      { loadAll: () => Promise.resolve(new Map()), save: () => Promise.resolve() },
      silentLogger(),
    );
    const health = createHealthService({ database: database.handle, telegram: new TelegramActivity(), version: "test", startedAt: new Date(), timeZone: "UTC" });
    http = new HttpServer(silentLogger(), {});
    registerHealthRoutes(http, {
      health,
      database: database.handle,
      isPolling: () => polling,
      metrics: createMetrics({ db: database.handle.db, registry }),
    });
    const address = await http.listen("127.0.0.1", 0);
    base = `http://127.0.0.1:${address.port}`;
    guarded = new HttpServer(silentLogger());
    registerHealthRoutes(guarded, {
      health,
      database: database.handle,
      isPolling: () => polling,
      metrics: createMetrics({ db: database.handle.db, registry }),
      metricsToken: METRICS_TOKEN,
    });
    guardedBase = `http://127.0.0.1:${(await guarded.listen("127.0.0.1", 0)).port}`;
  });
  afterAll(async () => {
    await http.close();
    await guarded.close();
    await database.dispose();
  });

  it("/ready is 503 while the bot is not polling Telegram, even with the database up", async () => {
    polling = false;
    const response = await fetch(`${base}/ready`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ready: false, database: true, polling: false });
  });

  it("/ready is 200 once the bot polls and the database answers", async () => {
    polling = true;
    const response = await fetch(`${base}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true, database: true, polling: true });
  });

  it("/health stays 200 (alive) and reports polling and the component states", async () => {
    polling = false;
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "alive",
      overall: "degraded",
      version: "test",
      polling: false,
      components: { database: "ok", telegram: "down" },
    });
  });

  it("/metrics is open without METRICS_TOKEN and asks for the bearer token with one", async () => {
    const open = await fetch(`${base}/metrics`);
    expect(open.status).toBe(200);
    expect(await open.text()).toContain("rgb_circuit_breaker_state");
    const missing = await fetch(`${guardedBase}/metrics`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    expect(await missing.json()).toEqual({ error: "missing or wrong bearer token" });
    const wrong = await fetch(`${guardedBase}/metrics`, { headers: { authorization: "Bearer metrics-token-wrong-000000" } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${guardedBase}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(right.status).toBe(200);
    expect(right.headers.get("content-type")).toContain("text/plain");
    expect((await fetch(`${guardedBase}/health`)).status).toBe(200);
  });
});
