import type { HealthService } from "../health/health-service.js";
import { withTimeout } from "../resilience/deadline.js";
import type { DatabaseHandle } from "../db/database.js";
import type { ReplicaStatus } from "../lifecycle/leader.js";
import { hasBearerToken } from "./bearer.js";
import type { Metrics } from "./metrics.js";
import type { HttpServer } from "./server.js";

const READY_DB_TIMEOUT_MS = 1_000;

/**
 * `GET /health` liveness (200 while the process serves, with a small summary and this replica's role), `GET /ready`
 * (503 when the database does not answer, or a leader is not polling Telegram: a stand-by is ready without) and `GET /metrics`
 * (Prometheus text format; behind `Authorization: Bearer <METRICS_TOKEN>` when a token is given).
 */
export function registerHealthRoutes(
  http: HttpServer,
  deps: {
    health: HealthService;
    database: DatabaseHandle;
    isPolling: () => boolean;
    /** This replica's role; without it the process counts as the leader. */
    replica?: () => ReplicaStatus;
    metrics: Metrics;
    metricsToken?: string;
  },
): void {
  http.route("GET", "/health", async () => {
    const report = await deps.health.report();
    const replica = deps.replica?.();
    return {
      status: 200,
      body: {
        status: "alive",
        overall: report.status,
        version: report.version,
        uptimeSeconds: report.uptimeSeconds,
        polling: deps.isPolling(),
        ...(replica ? { replica: { id: replica.id, role: replica.role, since: replica.since.toISOString(), election: replica.election } } : {}),
        components: Object.fromEntries(Object.entries(report.components).map(([name, c]) => [name, c.state])),
      },
    };
  });

  http.route("GET", "/ready", async () => {
    const database = await withTimeout(deps.database.ping(), READY_DB_TIMEOUT_MS, "database").then(
      () => true,
      () => false,
    );
    const polling = deps.isPolling();
    // Only the leader polls: a stand-by serves HTTP and publishes, and is ready to take over.
    const ready = database && (polling || deps.replica?.().role === "standby");
    return { status: ready ? 200 : 503, body: { ready, database, polling } };
  });

  http.route("GET", "/metrics", async (request) => {
    if (deps.metricsToken !== undefined && !hasBearerToken(request, deps.metricsToken)) {
      return { status: 401, body: { error: "missing or wrong bearer token" }, headers: { "www-authenticate": "Bearer" } };
    }
    const { contentType, body } = await deps.metrics.render();
    return { status: 200, body, contentType };
  });
}
