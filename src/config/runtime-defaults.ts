import { z } from "zod";
import { boolean, emptyToUndefined, integer } from "./fields.js";

/** The settings an admin can change at runtime with /settings, as the environment sets them: `config.defaults`. */
export const runtimeDefaultsConfig = z
  .object({
    PERSONA: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .default(
          "You are a friendly, knowledgeable person replying on X. Be helpful and specific, add something of value, keep a light touch.",
        ),
    ),
    SCHEDULE_MIN_DELAY_MINUTES: integer(15, 0, 24 * 60),
    SCHEDULE_MAX_DELAY_MINUTES: integer(120, 0, 24 * 60),
    SCHEDULE_JITTER_SECONDS: integer(300, 0, 3600),
    // Only an unset variable takes the default: an explicitly empty one means "no quiet hours".
    QUIET_HOURS: z.preprocess(
      (value) => (value === undefined ? "00:00-07:00" : value),
      z
        .string()
        .trim()
        .regex(/^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM-HH:MM (24 h) or empty for none"),
    ),
    PUBLISH_GAP_SECONDS: z.preprocess(
      (value) => emptyToUndefined(value) ?? "30-90",
      z
        .string()
        .trim()
        .regex(/^\d+(-\d+)?$/, "must be seconds N or a range N-M")
        .transform((value) => {
          const [min, max] = value.split("-").map(Number);
          return { min: min ?? 0, max: max ?? min ?? 0 };
        })
        .refine((range) => range.min <= range.max, "must be a range with min ≤ max"),
    ),
    MAX_POSTS_PER_HOUR: integer(15, 1, 1000),
    MAX_POSTS_PER_DAY: integer(50, 1, 10_000),
    GATEKEEPER_ENABLED: boolean(false),
    GATEKEEPER_MIN_SCORE: z.preprocess(
      emptyToUndefined,
      z.coerce.number({ error: "must be a number from 0 to 1" }).min(0, "must be at least 0").max(1, "must be at most 1").default(0.5),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.SCHEDULE_MIN_DELAY_MINUTES > env.SCHEDULE_MAX_DELAY_MINUTES) {
      ctx.addIssue({
        code: "custom",
        path: ["SCHEDULE_MAX_DELAY_MINUTES"],
        message: "must be at least SCHEDULE_MIN_DELAY_MINUTES",
      });
    }
  })
  .transform((env) => ({
    defaults: {
      persona: env.PERSONA,
      minDelayMinutes: env.SCHEDULE_MIN_DELAY_MINUTES,
      maxDelayMinutes: env.SCHEDULE_MAX_DELAY_MINUTES,
      jitterSeconds: env.SCHEDULE_JITTER_SECONDS,
      /** "HH:MM-HH:MM" in the bot's time zone, or "" for none. */
      quietHours: env.QUIET_HOURS,
      gapSeconds: env.PUBLISH_GAP_SECONDS,
      maxPostsPerHour: env.MAX_POSTS_PER_HOUR,
      maxPostsPerDay: env.MAX_POSTS_PER_DAY,
      gatekeeperEnabled: env.GATEKEEPER_ENABLED,
      gatekeeperMinScore: env.GATEKEEPER_MIN_SCORE,
    },
  }));
