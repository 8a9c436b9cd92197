import { z } from "zod";
import { emptyToUndefined, integer } from "./fields.js";
import { group, setting } from "./group.js";

/** What the process itself needs: its log level and how long a shutdown may take. */
export const processConfig = group({
  logLevel: setting(
    "LOG_LEVEL",
    z.preprocess(emptyToUndefined, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
  ),
  gracefulShutdownTimeoutMs: setting("GRACEFUL_SHUTDOWN_TIMEOUT_MS", integer(10_000, 100, 600_000)),
});
