/**
 * How each /health component decides ok / degraded / down, probed through registerHealthComponents with
 * sources set by hand (no app), and what that makes of the overall status.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { registerHealthComponents, type HealthSources } from "../../src/health/components.js";
import { createHealthService, TelegramActivity, type HealthService } from "../../src/health/health-service.js";
import type { JobRun } from "../../src/lifecycle/scheduler.js";
import { AiActivity } from "../../src/resilience/ai-guard.js";
import type { BreakerStore } from "../../src/resilience/breaker-store.js";
import { ResilienceRegistry } from "../../src/resilience/registry.js";
import { policySettingsFromConfig } from "../../src/resilience/settings.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";

const NOW = new Date("2026-11-30T10:00:00Z");
const env = {
  TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi",
  ADMIN_CHAT_ID: "4242",
  X_APP_KEY: "app-key",
  X_APP_SECRET: "app-secret",
  X_ACCESS_TOKEN: "access-token",
  X_ACCESS_SECRET: "access-secret",
  OPENAI_API_KEY: "sk-test-123456",
  OPENAI_MODEL: "model-a",
  OPENAI_FALLBACK_MODELS: "model-b",
};

const memoryStore: BreakerStore = { loadAll: () => Promise.resolve(new Map()), save: () => Promise.resolve() };
const unreachable = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

/** The hand-set state the probes read. */
interface World {
  status: "active" | "failed" | "disabled";
  lastVerifiedAt: Date | null;
  rateLimitedUntil: Date | null;
  dlqExhausted: number;
  runs: Map<string, JobRun | undefined>;
  paused: boolean;
}

describe("/health component rules", () => {
  let database: TestDatabase;
  let world: World;
  let registry: ResilienceRegistry;
  let health: HealthService;
  let telegram: TelegramActivity;

  const openBreaker = async (name: string, kind: "x" | "ai") => {
    const policy = registry.policy(name, kind);
    for (let i = 0; i < 10 && policy.state !== "open"; i++) {
      await policy.execute(() => Promise.reject(unreachable())).catch(() => undefined);
    }
    expect(policy.state).toBe("open");
  };
  const component = async (name: string) => (await health.report()).components[name];

  function build(config = loadConfig(env)): void {
    const settings = policySettingsFromConfig(config);
    const fast = { retries: 0, baseDelayMs: 1, maxDelayMs: 1 };
    registry = new ResilienceRegistry(
      { x: { ...settings.x, ...fast }, ai: { ...settings.ai, ...fast }, db: { ...settings.db, ...fast } },
      memoryStore,
      silentLogger(),
    );
    const account = { id: 1, label: "main", client: { rateLimits: () => new Map() } };
    const accounts = {
      all: () => (config.x.accounts.length > 0 ? [account] : []),
      get: (id: number) => (id === account.id && config.x.accounts.length > 0 ? account : undefined),
      onChange: () => undefined,
      rows: () =>
        Promise.resolve([
          {
            id: 1,
            username: "replyguy",
            status: world.status,
            failureReason: world.status === "failed" ? "X GET /2/users/me failed: 401 Unauthorized" : null,
            failedAt: world.status === "failed" ? new Date(NOW.getTime() - 120_000) : null,
            lastVerifiedAt: world.lastVerifiedAt,
            rateLimitedUntil: world.rateLimitedUntil,
          },
        ]),
    };
    const sources = {
      config,
      db: database.handle.db,
      accounts,
      registry,
      aiActivity: new AiActivity(),
      deadLetters: { summary: () => Promise.resolve({ pending: 0, retrying: 0, exhausted: world.dlqExhausted }) },
      pause: { state: () => Promise.resolve(world.paused ? { paused: true, at: NOW } : { paused: false }) },
      scheduler: { lastRuns: () => world.runs },
      now: () => NOW,
    } as unknown as HealthSources;
    telegram = new TelegramActivity();
    health = createHealthService({ database: database.handle, telegram, version: "test", startedAt: NOW, timeZone: "UTC", now: () => NOW });
    registerHealthComponents(health, sources);
  }

  beforeAll(async () => {
    database = await createPgliteTestDatabase();
  });
  beforeEach(() => {
    world = { status: "active", lastVerifiedAt: null, rateLimitedUntil: null, dlqExhausted: 0, runs: new Map([["discovery", undefined]]), paused: false };
    build();
  });
  afterAll(async () => {
    await database.dispose();
  });

  it("all ok: every component ok but telegram (no API call yet), so the overall status is degraded, not healthy", async () => {
    const report = await health.report();
    expect(Object.fromEntries(Object.entries(report.components).map(([name, c]) => [name, c.state]))).toEqual({
      database: "ok",
      telegram: "down",
      "x:main": "ok",
      ai: "ok",
      queues: "ok",
      jobs: "ok",
      workflow: "ok",
      breakers: "ok",
    });
    expect(report.status).toBe("degraded");
  });

  it("healthy once Telegram answered and everything else is ok", async () => {
    const telegram = new TelegramActivity();
    telegram.markSuccess(NOW);
    const service = createHealthService({ database: database.handle, telegram, version: "t", startedAt: NOW, timeZone: "UTC", now: () => NOW });
    expect((await service.report()).status).toBe("healthy");
  });

  it("an X account shows its status, why it failed and when X last accepted it; disabled is degraded", async () => {
    expect((await component("x:main"))?.detail).toContain("status active, not verified yet");
    world.lastVerifiedAt = new Date(NOW.getTime() - 60_000);
    expect(await component("x:main")).toMatchObject({ state: "ok", detail: expect.stringContaining("status active, last verified 09:59 (UTC)") });
    world.status = "failed";
    expect(await component("x:main")).toMatchObject({
      state: "down",
      detail: expect.stringContaining("status failed since 09:58 (UTC) (X GET /2/users/me failed: 401 Unauthorized), last verified 09:59 (UTC)"),
    });
    world.status = "disabled";
    expect(await component("x:main")).toMatchObject({ state: "degraded", detail: expect.stringContaining("status disabled") });
  });

  it("an X account: an open breaker or an active rate limit is degraded, a failed session is down", async () => {
    world.rateLimitedUntil = new Date(NOW.getTime() + 60_000);
    expect(await component("x:main")).toMatchObject({ state: "degraded", detail: expect.stringContaining("rate limited until 10:01 (UTC)") });
    world.rateLimitedUntil = new Date(NOW.getTime() - 60_000);
    expect((await component("x:main"))?.state).toBe("ok");
    await openBreaker("x:main", "x");
    expect(await component("x:main")).toMatchObject({ state: "degraded", detail: expect.stringContaining("breaker open") });
    world.status = "failed";
    expect(await component("x:main")).toMatchObject({ state: "down", detail: expect.stringContaining("status failed") });
  });

  it("AI: one model's breaker open is degraded, every model's open is down", async () => {
    await openBreaker("ai:model-b", "ai");
    expect(await component("ai")).toMatchObject({ state: "degraded", detail: expect.stringContaining("model-b open") });
    await openBreaker("ai:model-a", "ai");
    expect((await component("ai"))?.state).toBe("down");
  });

  it("any open breaker makes the breakers component degraded, naming it", async () => {
    await openBreaker("ai:model-a", "ai");
    expect(await component("breakers")).toEqual({ state: "degraded", detail: "ai:model-a open" });
  });

  it("queues: degraded only with exhausted dead letters", async () => {
    world.dlqExhausted = 1;
    expect(await component("queues")).toMatchObject({ state: "degraded", detail: expect.stringContaining("exhausted 1") });
  });

  it("jobs: a failed last run is degraded; running or ok is not", async () => {
    world.runs = new Map([["discovery", { startedAt: NOW, finishedAt: undefined, error: undefined }]]);
    expect(await component("jobs")).toEqual({ state: "ok", detail: "discovery 10:00 (UTC) running" });
    world.runs.set("publish", { startedAt: NOW, finishedAt: NOW, error: "X said no" });
    expect(await component("jobs")).toEqual({ state: "degraded", detail: "discovery 10:00 (UTC) running; publish 10:00 (UTC) failed (X said no)" });
  });

  it("workflow: paused is degraded", async () => {
    world.paused = true;
    expect(await component("workflow")).toMatchObject({ state: "degraded", detail: expect.stringContaining("paused since") });
  });

  it("not configured: X and AI say which variables to set; that alone makes the overall degraded", async () => {
    build(loadConfig({ TELEGRAM_BOT_TOKEN: env.TELEGRAM_BOT_TOKEN, ADMIN_CHAT_ID: env.ADMIN_CHAT_ID }));
    telegram.markSuccess(NOW);
    const report = await health.report();
    expect(report.status).toBe("degraded");
    expect(report.components.x).toEqual({ state: "not_configured", detail: "set X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET" });
    expect(report.components.ai).toEqual({ state: "not_configured", detail: "set OPENAI_API_KEY" });
    expect(report.components["x:main"]).toBeUndefined();
  });

  it("a probe that throws is down with its message", async () => {
    health.addComponent("broken", () => Promise.reject(new Error("probe exploded")));
    expect(await component("broken")).toEqual({ state: "down", detail: "probe exploded" });
  });
});
