import { z } from "zod";
import { emptyToUndefined, integer, text } from "./fields.js";
import { group, setting } from "./group.js";

/** A bearer token of at least 16 characters; unset (or blank) = the route it guards is open or absent. */
const token = z.preprocess(emptyToUndefined, z.string().trim().min(16, "must be at least 16 characters").optional());

/** Address of the health and admin HTTP server, and the tokens of its metrics and dashboard. */
export const httpConfig = group({
  http: {
    host: setting("HTTP_HOST", text("127.0.0.1")),
    port: setting("HTTP_PORT", integer(8080, 0, 65535)),
    /** Bearer token GET /metrics asks for; unset = open. */
    metricsToken: setting("METRICS_TOKEN", token),
    /** Token of the /dashboard page (bearer header or its login form); unset = no dashboard (404). */
    dashboardToken: setting("DASHBOARD_TOKEN", token),
  },
});
