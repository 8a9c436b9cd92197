import type { Config } from "../config.js";
import type { DatabaseHandle } from "../db/database.js";
import { withTimeout } from "./with-timeout.js";

/** Overall verdict: `error` when the bot cannot work, `degraded` when part of it cannot. */
export type OverallStatus = "healthy" | "degraded" | "error";

/** One component's state as shown in /health. */
export interface ComponentHealth {
  readonly state: "ok" | "down" | "not_configured";
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

const DATABASE_PROBE_TIMEOUT_MS = 1_000;

/** Builds health reports; every probe has its own short timeout. */
export function createHealthService(deps: {
  config: Config;
  database: DatabaseHandle;
  telegram: TelegramActivity;
  version: string;
  startedAt: Date;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());

  async function probeDatabase(): Promise<ComponentHealth> {
    try {
      const latency = await withTimeout(deps.database.ping(), DATABASE_PROBE_TIMEOUT_MS, "database");
      return { state: "ok", detail: `${deps.database.kind}, ${latency.toFixed(1)} ms` };
    } catch (error) {
      return { state: "down", detail: `${deps.database.kind}: ${(error as Error).message}` };
    }
  }

  function describeX(): ComponentHealth {
    return deps.config.x.accounts.length > 0
      ? { state: "ok", detail: `${deps.config.x.accounts.length} account(s) configured (${deps.config.x.apiRoot})` }
      : { state: "not_configured", detail: "set X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET" };
  }

  function describeAi(): ComponentHealth {
    return deps.config.openai.apiKey
      ? { state: "ok", detail: `model ${deps.config.openai.model}` }
      : { state: "not_configured", detail: "set OPENAI_API_KEY" };
  }

  function describeTelegram(): ComponentHealth {
    const last = deps.telegram.lastSuccess;
    return last
      ? { state: "ok", detail: `last API success ${last.toISOString()}` }
      : { state: "down", detail: "no successful API call yet" };
  }

  const extraProbes = new Map<string, () => Promise<ComponentHealth>>();
  const probeExtra = async (name: string, probe: () => Promise<ComponentHealth>): Promise<[string, ComponentHealth]> => {
    try {
      return [name, await withTimeout(probe(), DATABASE_PROBE_TIMEOUT_MS, name)];
    } catch (error) {
      return [name, { state: "down", detail: (error as Error).message }];
    }
  };

  return {
    /** Adds a component to the report (registered by the parts that exist after the bot is built). */
    addComponent(name: string, probe: () => Promise<ComponentHealth>): void {
      extraProbes.set(name, probe);
    },

    /** Probes every component and derives the overall status. */
    async report(): Promise<HealthReport> {
      const components = {
        database: await probeDatabase(),
        telegram: describeTelegram(),
        x: describeX(),
        ai: describeAi(),
        ...Object.fromEntries(await Promise.all([...extraProbes].map(([name, probe]) => probeExtra(name, probe)))),
      };
      const status: OverallStatus =
        components.database.state === "down"
          ? "error"
          : Object.values(components).some((c) => c.state !== "ok")
            ? "degraded"
            : "healthy";
      const current = now();
      return {
        status,
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
