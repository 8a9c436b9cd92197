import type { DatabaseHandle } from "../db/database.js";
import { formatLocalClock } from "../text/time.js";
import { withTimeout } from "../resilience/deadline.js";

/** Overall verdict: `error` when the bot cannot work, `degraded` when part of it cannot. */
export type OverallStatus = "healthy" | "degraded" | "error";

/** One component's state as shown in /health. `degraded` = working with a problem (rate limited, breaker open). */
export interface ComponentHealth {
  readonly state: "ok" | "degraded" | "down" | "not_configured";
  readonly detail: string;
}

/** A point-in-time report of the bot and its dependencies. */
export interface HealthReport {
  readonly status: OverallStatus;
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly checkedAt: string;
  readonly components: Readonly<Record<string, ComponentHealth>>;
}

/** Tracks the last successful Telegram API call (fed by an API transformer). */
export class TelegramActivity {
  private lastSuccessAt: Date | undefined;

  /** Records a successful Bot API call. */
  markSuccess(at = new Date()): void {
    this.lastSuccessAt = at;
  }

  /** When the last Bot API call succeeded, if ever. */
  get lastSuccess(): Date | undefined {
    return this.lastSuccessAt;
  }
}

/** Each probe gets this long; a hung dependency shows as down instead of hanging /health. */
export const PROBE_TIMEOUT_MS = 800;

/**
 * The rules of the overall status: the database down is an error (nothing works without it);
 * any other component down or degraded, or an integration not configured, is degraded.
 */
export function overallStatus(components: Readonly<Record<string, ComponentHealth>>): OverallStatus {
  if (components.database?.state === "down") return "error";
  return Object.values(components).every((c) => c.state === "ok") ? "healthy" : "degraded";
}

/** A component probe: resolves with the component's health (errors and timeouts count as down). */
export type HealthProbe = () => Promise<ComponentHealth> | ComponentHealth;

/** Builds health reports from probes that run in parallel, each with its own short timeout. */
export function createHealthService(deps: {
  database: DatabaseHandle;
  telegram: TelegramActivity;
  version: string;
  startedAt: Date;
  /** The admins' zone, for the times in the human-readable details. */
  timeZone: string;
  /** Whether this replica leads; a stand-by neither polls nor draws cards, so it may not have called Telegram yet. */
  isLeader?: () => boolean;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const probes = new Map<string, HealthProbe>();

  probes.set("database", async () => {
    const latency = await deps.database.ping();
    return { state: "ok", detail: `${deps.database.kind}, ${latency.toFixed(1)} ms` };
  });
  probes.set("telegram", () => {
    const last = deps.telegram.lastSuccess;
    if (last) return { state: "ok", detail: `last API success ${formatLocalClock(last, deps.timeZone, now())}` };
    if (deps.isLeader?.() === false) return { state: "ok", detail: "stand-by: the leader talks to Telegram" };
    return { state: "down", detail: "no successful API call yet" };
  });

  const run = async (name: string, probe: HealthProbe): Promise<[string, ComponentHealth]> => {
    try {
      return [name, await withTimeout(Promise.resolve(probe()), PROBE_TIMEOUT_MS, name)];
    } catch (error) {
      return [name, { state: "down", detail: error instanceof Error ? error.message : String(error) }];
    }
  };

  return {
    /** Adds (or replaces) a component of the report. */
    addComponent(name: string, probe: HealthProbe): void {
      probes.set(name, probe);
    },

    /** Drops a component from the report (an X account removed at runtime). */
    removeComponent(name: string): void {
      probes.delete(name);
    },

    /** Probes every component in parallel and derives the overall status. */
    async report(): Promise<HealthReport> {
      const components = Object.fromEntries(await Promise.all([...probes].map(([name, probe]) => run(name, probe))));
      const current = now();
      return {
        status: overallStatus(components),
        version: deps.version,
        uptimeSeconds: Math.round((current.getTime() - deps.startedAt.getTime()) / 1000),
        checkedAt: current.toISOString(),
        components,
      };
    },
  };
}

/** The health service's interface. */
export type HealthService = ReturnType<typeof createHealthService>;
