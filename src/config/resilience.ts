import { integer } from "./fields.js";
import { group, setting } from "./group.js";

/** Timeouts, retries and circuit breakers of the outside calls. */
export const resilienceConfig = group(
  {
    resilience: {
      xRequestTimeoutMs: setting("X_REQUEST_TIMEOUT_MS", integer(15_000, 100, 120_000)),
      aiRequestTimeoutMs: setting("AI_REQUEST_TIMEOUT_MS", integer(20_000, 100, 300_000)),
      /** Attempts in all (first try included) of one call before it fails. */
      maxAttempts: setting("RETRY_MAX_ATTEMPTS", integer(3, 1, 10)),
      baseDelayMs: setting("RETRY_BASE_DELAY_MS", integer(1_000, 1, 60_000)),
      maxDelayMs: setting("RETRY_MAX_DELAY_MS", integer(10_000, 1, 600_000)),
      breakers: {
        x: {
          threshold: setting("X_BREAKER_THRESHOLD", integer(5, 1, 100)),
          halfOpenSeconds: setting("X_BREAKER_HALF_OPEN_SECONDS", integer(120, 1, 86_400)),
        },
        ai: {
          threshold: setting("AI_BREAKER_THRESHOLD", integer(3, 1, 100)),
          halfOpenSeconds: setting("AI_BREAKER_HALF_OPEN_SECONDS", integer(60, 1, 86_400)),
        },
        db: {
          threshold: setting("DB_BREAKER_THRESHOLD", integer(3, 1, 100)),
          halfOpenSeconds: setting("DB_BREAKER_HALF_OPEN_SECONDS", integer(30, 1, 86_400)),
        },
      },
    },
  },
  {
    check(env, ctx) {
      if (env.RETRY_BASE_DELAY_MS > env.RETRY_MAX_DELAY_MS) {
        ctx.addIssue({ code: "custom", path: ["RETRY_MAX_DELAY_MS"], message: "must be at least RETRY_BASE_DELAY_MS" });
      }
    },
  },
);
