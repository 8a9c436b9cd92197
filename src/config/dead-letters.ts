import { z } from "zod";
import { cronExpression, emptyToUndefined, integer } from "./fields.js";
import { group, setting } from "./group.js";

/** When failed publishes are retried, and how often. */
export const deadLettersConfig = group({
  deadLetters: {
    cron: setting("DLQ_CRON", cronExpression("15 * * * * *")),
    baseDelaySeconds: setting("DLQ_BASE_DELAY_SECONDS", integer(60, 1, 86_400)),
    backoffMultiplier: setting(
      "DLQ_BACKOFF_MULTIPLIER",
      z.preprocess(
        emptyToUndefined,
        z.coerce.number({ error: "must be a number" }).min(1, "must be at least 1").max(10, "must be at most 10").default(2),
      ),
    ),
    maxRetries: setting("DLQ_MAX_RETRIES", integer(5, 0, 50)),
  },
});
