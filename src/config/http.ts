import { z } from "zod";
import { emptyToUndefined, integer, text } from "./fields.js";
import { group, setting } from "./group.js";

/** Address of the health and admin HTTP server, and the token of its metrics. */
export const httpConfig = group({
  http: {
    host: setting("HTTP_HOST", text("127.0.0.1")),
    port: setting("HTTP_PORT", integer(8080, 0, 65535)),
    /** Bearer token GET /metrics asks for; unset = open. */
    metricsToken: setting(
      "METRICS_TOKEN",
      z.preprocess(emptyToUndefined, z.string().trim().min(16, "must be at least 16 characters").optional()),
    ),
  },
});
