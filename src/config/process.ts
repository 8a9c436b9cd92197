import { z } from "zod";
import { emptyToUndefined, integer } from "./fields.js";

/** What the process itself needs: `config.logLevel`, `config.gracefulShutdownTimeoutMs`. */
export const processConfig = z
  .object({
    LOG_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
    GRACEFUL_SHUTDOWN_TIMEOUT_MS: integer(10_000, 100, 600_000),
  })
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    gracefulShutdownTimeoutMs: env.GRACEFUL_SHUTDOWN_TIMEOUT_MS,
  }));
