import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { Leadership } from "../lifecycle/leader.js";
import type { Scheduler } from "../lifecycle/scheduler.js";
import type { AiActivity } from "../resilience/ai-guard.js";
import { aiPolicyName, xPolicyName } from "../resilience/policy-names.js";
import type { ResilienceRegistry } from "../resilience/registry.js";
import type { XAccountRow, XAccounts } from "../workflow/accounts.js";
import type { DeadLetters } from "../workflow/dead-letters.js";
import { queueCounts } from "../workflow/queue-counts.js";
import { formatLocalTime } from "../text/time.js";
import type { PauseSwitch } from "../workflow/pause.js";
import type { ComponentHealth, HealthService } from "./health-service.js";

/** What the component probes read. */
export interface HealthSources {
  readonly config: Config;
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly registry: ResilienceRegistry;
  readonly aiActivity: AiActivity;
  readonly deadLetters: DeadLetters;
  readonly pause: PauseSwitch;
  readonly scheduler: Scheduler;
  /** This replica's role among the replicas of its database. */
  readonly leadership?: Leadership;
  readonly now?: () => Date;
}

/** An account's status for /health: active, failed (and why, since when) or disabled; when X last accepted it. */
function sessionDetail(row: XAccountRow, hhmm: (at: Date) => string): string {
  const verified = row.lastVerifiedAt ? `last verified ${hhmm(row.lastVerifiedAt)}` : "not verified yet";
  if (row.status === "failed") {
    return `status failed${row.failedAt ? ` since ${hhmm(row.failedAt)}` : ""} (${row.failureReason ?? "no reason recorded"}), ${verified}`;
  }
  return `status ${row.status}, ${verified}`;
}

/** One component per X account: status, breaker, and the POST rate-limit window. */
async function xAccountHealth(sources: HealthSources, accountId: number): Promise<ComponentHealth> {
  const now = (sources.now ?? (() => new Date()))();
  const hhmm = (at: Date) => formatLocalTime(at, sources.config.timeZone, now);
  const account = sources.accounts.get(accountId);
  const row = (await sources.accounts.rows()).find((r) => r.id === accountId);
  if (!account || !row) return { state: "down", detail: "not registered" };
  const breaker = sources.registry.policy(xPolicyName(account.label), "x").state;
  const limits = account.client.rateLimits();
  const limitKey = limits.has("POST /2/tweets") ? "POST /2/tweets" : limits.keys().next().value;
  const limit = limitKey === undefined ? undefined : limits.get(limitKey);
  const parts = [
    row.username ? `@${row.username}` : "identity not resolved yet",
    sessionDetail(row, hhmm),
    `breaker ${breaker}`,
    limit ? `${limitKey} left ${limit.remaining}/${limit.limit}, resets ${hhmm(limit.resetAt)}` : "no rate-limit data yet",
  ];
  const rateLimited = row.rateLimitedUntil !== null && row.rateLimitedUntil > now;
  if (rateLimited) parts.push(`rate limited until ${hhmm(row.rateLimitedUntil!)}`);
  const state = row.status === "failed" ? "down" : row.status === "disabled" || breaker !== "closed" || rateLimited ? "degraded" : "ok";
  return { state, detail: parts.join(", ") };
}

/** Registers every component probe of /health and /ready on the health service. */
export function registerHealthComponents(health: HealthService, sources: HealthSources): void {
  const { config, registry } = sources;
  const clock = sources.now ?? (() => new Date());
  if (sources.accounts.all().length === 0) {
    health.addComponent("x", () => ({
      state: "not_configured",
      detail: "set X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET",
    }));
  }
  for (const account of sources.accounts.all()) {
    health.addComponent(xPolicyName(account.label), () => xAccountHealth(sources, account.id));
  }
  sources.accounts.onChange(({ added, removed }) => {
    if (added) health.addComponent(xPolicyName(added.label), () => xAccountHealth(sources, added.id));
    if (removed) health.removeComponent(xPolicyName(removed.label));
  });

  health.addComponent("ai", () => {
    if (!config.openai.apiKey) return { state: "not_configured", detail: "set OPENAI_API_KEY" };
    const models = [config.openai.model, ...config.ai.fallbackModels];
    const states = models.map((model) => registry.policy(aiPolicyName(model), "ai").state);
    const breakers = models.map((model, i) => `${model} ${states[i]}`);
    const last = sources.aiActivity.last;
    const latency = last ? `last answer ${Math.round(last.latencyMs)} ms (${last.model})` : "no answer yet";
    const allOpen = states.every((state) => state === "open");
    const someOpen = states.some((state) => state !== "closed");
    return { state: allOpen ? "down" : someOpen ? "degraded" : "ok", detail: `${breakers.join(", ")}; ${latency}` };
  });

  health.addComponent("queues", async () => {
    const by = await queueCounts(sources.db);
    const dlq = await sources.deadLetters.summary();
    const detail =
      `awaiting approval ${by.awaiting_approval}, scheduled ${by.approved}, publishing ${by.publishing}; ` +
      `DLQ pending ${dlq.pending}, retrying ${dlq.retrying}, exhausted ${dlq.exhausted}`;
    return { state: dlq.exhausted > 0 ? "degraded" : "ok", detail };
  });

  health.addComponent("jobs", () => {
    const now = clock();
    const runs = [...sources.scheduler.lastRuns()].map(([name, run]) => {
      if (!run) return `${name} not run yet`;
      const outcome = run.finishedAt === undefined ? "running" : run.error ? `failed (${run.error.slice(0, 80)})` : "ok";
      return `${name} ${formatLocalTime(run.startedAt, config.timeZone, now)} ${outcome}`;
    });
    const failed = [...sources.scheduler.lastRuns().values()].some((run) => run?.error !== undefined);
    return { state: failed ? "degraded" : "ok", detail: runs.join("; ") };
  });

  health.addComponent("workflow", async () => {
    const state = await sources.pause.state();
    return state.paused
      ? { state: "degraded", detail: `paused since ${state.at ? formatLocalTime(state.at, config.timeZone, clock()) : "?"}: nothing is discovered or published` }
      : { state: "ok", detail: "running" };
  });

  const { leadership } = sources;
  if (leadership) {
    health.addComponent("replica", () => {
      const replica = leadership.status();
      const since = formatLocalTime(replica.since, config.timeZone, clock());
      const detail =
        replica.election === "single_process"
          ? `${replica.id}, leader since ${since} (PGlite: one process, always the leader)`
          : replica.role === "leader"
            ? `${replica.id}, leader since ${since} (PostgreSQL advisory lock)`
            : `${replica.id}, stand-by since ${since}: another replica polls Telegram and runs discovery`;
      return { state: "ok", detail };
    });
  }

  health.addComponent("breakers", () => {
    const open = registry.all().filter((b) => b.state !== "closed");
    return open.length === 0
      ? { state: "ok", detail: `${registry.all().length} closed` }
      : { state: "degraded", detail: open.map((b) => `${b.name} ${b.state}`).join(", ") };
  });
}
