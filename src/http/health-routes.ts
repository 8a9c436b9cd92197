import type { HealthService } from "../health/health-service.js";
import type { HttpServer } from "./server.js";

/** `GET /health`: liveness — 200 while the process is alive and serving, with a small summary. */
export function registerHealthRoutes(
  http: HttpServer,
  deps: { health: HealthService; isPolling: () => boolean },
): void {
  http.route("GET", "/health", async () => {
    const report = await deps.health.report();
    return {
      status: 200,
      body: {
        status: "alive",
        overall: report.status,
        version: report.version,
        uptimeSeconds: report.uptimeSeconds,
        polling: deps.isPolling(),
        components: Object.fromEntries(Object.entries(report.components).map(([name, c]) => [name, c.state])),
      },
    };
  });
}
