import { z } from "zod";
import { cronExpression, emptyToUndefined, integer } from "./fields.js";

/** When failed publishes are retried and how often: `config.deadLetters`. */
export const deadLettersConfig = z
  .object({
    DLQ_CRON: cronExpression("15 * * * * *"),
    DLQ_BASE_DELAY_SECONDS: integer(60, 1, 86_400),
    DLQ_BACKOFF_MULTIPLIER: z.preprocess(
      emptyToUndefined,
      z.coerce.number({ error: "must be a number" }).min(1, "must be at least 1").max(10, "must be at most 10").default(2),
    ),
    DLQ_MAX_RETRIES: integer(5, 0, 50),
  })
  .transform((env) => ({
    deadLetters: {
      cron: env.DLQ_CRON,
      baseDelaySeconds: env.DLQ_BASE_DELAY_SECONDS,
      backoffMultiplier: env.DLQ_BACKOFF_MULTIPLIER,
      maxRetries: env.DLQ_MAX_RETRIES,
    },
  }));
