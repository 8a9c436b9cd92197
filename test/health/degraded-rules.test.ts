/**
 * How each /health component decides ok / degraded / down, probed through registerHealthComponents with
 * sources set by hand (no app), and what that makes of the overall status.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
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
  /** A failed account whose row holds neither when nor why it failed (an older row). */
  failureUnrecorded?: boolean;
  /** When the pause began; undefined for a pause stored without its time. */
  pausedAt?: Date;
  /** The account's rate-limit windows as its X client last saw them. */
  limits: Map<string, { limit: number; remaining: number; resetAt: Date }>;
  username: string | null;
  /** Id of the stored row (1 = the registered account's own row). */
  rowId: number;
}

describe("/health component rules", () => {
  let database: TestDatabase;
  let world: World;
  let registry: ResilienceRegistry;
  let health: HealthService;
  let telegram: TelegramActivity;
  let ai: AiActivity;
  let poolListener: ((change: { added?: unknown; removed?: unknown }) => void) | undefined;

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
    const account = { id: 1, label: "main", client: { rateLimits: () => world.limits } };
    const accounts = {
      all: () => (config.x.accounts.length > 0 ? [account] : []),
      get: (id: number) => (id === account.id && config.x.accounts.length > 0 ? account : undefined),
      onChange: (listener: typeof poolListener) => {
        poolListener = listener;
      },
      rows: () =>
        Promise.resolve([
          {
            id: world.rowId,
            username: world.username,
            status: world.status,
            failureReason: world.status === "failed" && !world.failureUnrecorded ? "X GET /2/users/me failed: 401 Unauthorized" : null,
            failedAt: world.status === "failed" && !world.failureUnrecorded ? new Date(NOW.getTime() - 120_000) : null,
            lastVerifiedAt: world.lastVerifiedAt,
            rateLimitedUntil: world.rateLimitedUntil,
          },
        ]),
    };
    ai = new AiActivity();
    const sources = {
      config,
      db: database.handle.db,
      accounts,
      registry,
      aiActivity: ai,
      deadLetters: { summary: () => Promise.resolve({ pending: 0, retrying: 0, exhausted: world.dlqExhausted }) },
      pause: { state: () => Promise.resolve(world.paused ? { paused: true, at: "pausedAt" in world ? world.pausedAt : NOW } : { paused: false }) },
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
    world = {
      status: "active",
      lastVerifiedAt: null,
      rateLimitedUntil: null,
      dlqExhausted: 0,
      runs: new Map([["discovery", undefined]]),
      paused: false,
      limits: new Map(),
      username: "replyguy",
      rowId: 1,
    };
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

  describe("the details an admin reads", () => {
    const inMinutes = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

    it("an X account: handle, status, breaker and the POST window, else the first window it knows", async () => {
      expect(await component("x:main")).toEqual({
        state: "ok",
        detail: "@replyguy, status active, not verified yet, breaker closed, no rate-limit data yet",
      });
      world.limits.set("GET /2/users/me", { limit: 75, remaining: 70, resetAt: inMinutes(5) });
      expect((await component("x:main"))?.detail).toBe(
        "@replyguy, status active, not verified yet, breaker closed, GET /2/users/me left 70/75, resets 10:05 (UTC)",
      );
      world.limits.set("POST /2/tweets", { limit: 100, remaining: 99, resetAt: inMinutes(15) });
      world.username = null;
      expect((await component("x:main"))?.detail).toBe(
        "identity not resolved yet, status active, not verified yet, breaker closed, POST /2/tweets left 99/100, resets 10:15 (UTC)",
      );
    });

    it("an X account whose rate limit ends right now is not rate limited", async () => {
      world.rateLimitedUntil = NOW;
      expect(await component("x:main")).toMatchObject({ state: "ok", detail: expect.not.stringContaining("rate limited") });
    });

    it("an X account whose row is gone (or is another account's) is down, not registered", async () => {
      world.rowId = 2;
      expect(await component("x:main")).toEqual({ state: "down", detail: "not registered" });
    });

    it("AI: each model's breaker, then the last answer's latency and model", async () => {
      expect((await component("ai"))?.detail).toBe("model-a closed, model-b closed; no answer yet");
      ai.record("model-b", 412.6);
      expect((await component("ai"))?.detail).toBe("model-a closed, model-b closed; last answer 413 ms (model-b)");
    });

    it("queues: open replies by status (finished ones not counted) and the dead letters", async () => {
      expect(await component("queues")).toEqual({
        state: "ok",
        detail: "awaiting approval 0, scheduled 0, publishing 0; DLQ pending 0, retrying 0, exhausted 0",
      });
      const db = database.handle.db;
      const [account] = await db.insert(xAccounts).values({ label: "queues-probe" }).returning();
      const statuses = ["awaiting_approval", "awaiting_approval", "approved", "publishing", "published"] as const;
      for (const [i, status] of statuses.entries()) {
        const tweetId = `9${i}`;
        await db.insert(posts).values({
          tweetId,
          authorId: "7",
          text: "hi",
          source: "mention",
          sourceDetail: "@replyguy",
          accountId: account!.id,
          answerable: true,
          state: "drafted",
        });
        await db.insert(replies).values({ postTweetId: tweetId, status, draft: "hello", weightedLength: 5, expiresAt: inMinutes(60) });
      }
      try {
        expect((await component("queues"))?.detail).toBe(
          "awaiting approval 2, scheduled 1, publishing 1; DLQ pending 0, retrying 0, exhausted 0",
        );
      } finally {
        await db.delete(replies);
        await db.delete(posts);
        await db.delete(xAccounts);
      }
    });

    it("jobs: one not run yet is named so, a long error is cut at 80 characters", async () => {
      expect(await component("jobs")).toEqual({ state: "ok", detail: "discovery not run yet" });
      world.runs = new Map([["publish", { startedAt: NOW, finishedAt: NOW, error: `${"e".repeat(80)}TAIL` }]]);
      expect((await component("jobs"))?.detail).toBe(`publish 10:00 (UTC) failed (${"e".repeat(80)})`);
      world.runs = new Map([["publish", { startedAt: NOW, finishedAt: NOW, error: undefined }]]);
      expect(await component("jobs")).toEqual({ state: "ok", detail: "publish 10:00 (UTC) ok" });
    });

    it("workflow: running, or paused since when", async () => {
      expect(await component("workflow")).toEqual({ state: "ok", detail: "running" });
      world.paused = true;
      expect((await component("workflow"))?.detail).toBe("paused since 10:00 (UTC): nothing is discovered or published");
    });

    it("workflow: a pause stored without its time says so", async () => {
      world.paused = true;
      world.pausedAt = undefined;
      expect((await component("workflow"))?.detail).toBe("paused since ?: nothing is discovered or published");
    });

    it("database: its kind and how long the ping took", async () => {
      expect(await component("database")).toEqual({ state: "ok", detail: expect.stringMatching(/^pglite, \d+\.\d ms$/) });
    });

    it("an X account failed without a recorded time or reason says neither", async () => {
      world.status = "failed";
      world.failureUnrecorded = true;
      expect((await component("x:main"))?.detail).toBe(
        "@replyguy, status failed (no reason recorded), not verified yet, breaker closed, no rate-limit data yet",
      );
    });

    it("an account added to the pool gets its component at once, probed like the others; a removed one loses it", async () => {
      const added = { id: 1, label: "second", client: { rateLimits: () => world.limits } };
      poolListener?.({ added });
      expect(await component("x:second")).toMatchObject({ state: "ok", detail: expect.stringContaining("@replyguy, status active") });
      poolListener?.({ removed: added });
      expect((await health.report()).components).not.toHaveProperty("x:second");
      expect(await component("x:main")).toBeDefined();
    });

    it("telegram before any API call: down on the leader, ok on a stand-by (the leader talks to Telegram)", async () => {
      let leading = true;
      const service = createHealthService({
        database: database.handle,
        telegram: new TelegramActivity(),
        version: "test",
        startedAt: NOW,
        timeZone: "UTC",
        isLeader: () => leading,
        now: () => NOW,
      });
      expect((await service.report()).components.telegram).toEqual({ state: "down", detail: "no successful API call yet" });
      leading = false;
      expect((await service.report()).components.telegram).toEqual({ state: "ok", detail: "stand-by: the leader talks to Telegram" });
    });

    it("breakers: how many are closed, else each open one", async () => {
      expect(await component("breakers")).toEqual({ state: "ok", detail: expect.stringMatching(/^[1-9]\d* closed$/) });
      await openBreaker("ai:model-a", "ai");
      await openBreaker("ai:model-b", "ai");
      expect((await component("breakers"))?.detail).toBe("ai:model-a open, ai:model-b open");
    });
  });
});
