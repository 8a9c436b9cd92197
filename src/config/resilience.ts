import { z } from "zod";
import { integer } from "./fields.js";

/** Timeouts, retries and circuit breakers of the outside calls: `config.resilience`. */
export const resilienceConfig = z
  .object({
    X_REQUEST_TIMEOUT_MS: integer(15_000, 100, 120_000),
    AI_REQUEST_TIMEOUT_MS: integer(20_000, 100, 300_000),
    X_BREAKER_THRESHOLD: integer(5, 1, 100),
    X_BREAKER_HALF_OPEN_SECONDS: integer(120, 1, 86_400),
    AI_BREAKER_THRESHOLD: integer(3, 1, 100),
    AI_BREAKER_HALF_OPEN_SECONDS: integer(60, 1, 86_400),
    DB_BREAKER_THRESHOLD: integer(3, 1, 100),
    DB_BREAKER_HALF_OPEN_SECONDS: integer(30, 1, 86_400),
    RETRY_MAX_ATTEMPTS: integer(3, 1, 10),
    RETRY_BASE_DELAY_MS: integer(1_000, 1, 60_000),
    RETRY_MAX_DELAY_MS: integer(10_000, 1, 600_000),
  })
  .superRefine((env, ctx) => {
    if (env.RETRY_BASE_DELAY_MS > env.RETRY_MAX_DELAY_MS) {
      ctx.addIssue({ code: "custom", path: ["RETRY_MAX_DELAY_MS"], message: "must be at least RETRY_BASE_DELAY_MS" });
    }
  })
  .transform((env) => ({
    resilience: {
      xRequestTimeoutMs: env.X_REQUEST_TIMEOUT_MS,
      aiRequestTimeoutMs: env.AI_REQUEST_TIMEOUT_MS,
      /** Attempts in all (first try included) of one call before it fails. */
      maxAttempts: env.RETRY_MAX_ATTEMPTS,
      baseDelayMs: env.RETRY_BASE_DELAY_MS,
      maxDelayMs: env.RETRY_MAX_DELAY_MS,
      breakers: {
        x: { threshold: env.X_BREAKER_THRESHOLD, halfOpenSeconds: env.X_BREAKER_HALF_OPEN_SECONDS },
        ai: { threshold: env.AI_BREAKER_THRESHOLD, halfOpenSeconds: env.AI_BREAKER_HALF_OPEN_SECONDS },
        db: { threshold: env.DB_BREAKER_THRESHOLD, halfOpenSeconds: env.DB_BREAKER_HALF_OPEN_SECONDS },
      },
    },
  }));
