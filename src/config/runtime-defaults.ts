import { z } from "zod";
import { boolean, emptyToUndefined, integer } from "./fields.js";
import { group, setting } from "./group.js";

const PERSONA =
  "You are a friendly, knowledgeable person replying on X. Be helpful and specific, add something of value, keep a light touch.";

const gapSeconds = z.preprocess(
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
);

/** The settings an admin can change at runtime with /settings, as the environment sets them. */
export const runtimeDefaultsConfig = group(
  {
    defaults: {
      persona: setting("PERSONA", z.preprocess(emptyToUndefined, z.string().default(PERSONA))),
      minDelayMinutes: setting("SCHEDULE_MIN_DELAY_MINUTES", integer(15, 0, 24 * 60)),
      maxDelayMinutes: setting("SCHEDULE_MAX_DELAY_MINUTES", integer(120, 0, 24 * 60)),
      jitterSeconds: setting("SCHEDULE_JITTER_SECONDS", integer(300, 0, 3600)),
      /** "HH:MM-HH:MM" in the bot's time zone, or "" for none. */
      quietHours: setting(
        "QUIET_HOURS",
        // Only an unset variable takes the default: an explicitly empty one means no quiet hours.
        z.preprocess(
          (value) => (value === undefined ? "00:00-07:00" : value),
          z
            .string()
            .trim()
            .regex(/^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM-HH:MM (24 h) or empty for none"),
        ),
      ),
      gapSeconds: setting("PUBLISH_GAP_SECONDS", gapSeconds),
      maxPostsPerHour: setting("MAX_POSTS_PER_HOUR", integer(15, 1, 1000)),
      maxPostsPerDay: setting("MAX_POSTS_PER_DAY", integer(50, 1, 10_000)),
      gatekeeperEnabled: setting("GATEKEEPER_ENABLED", boolean(false)),
      gatekeeperMinScore: setting(
        "GATEKEEPER_MIN_SCORE",
        z.preprocess(
          emptyToUndefined,
          z.coerce.number({ error: "must be a number from 0 to 1" }).min(0, "must be at least 0").max(1, "must be at most 1").default(0.5),
        ),
      ),
    },
  },
  {
    check(env, ctx) {
      if (env.SCHEDULE_MIN_DELAY_MINUTES > env.SCHEDULE_MAX_DELAY_MINUTES) {
        ctx.addIssue({ code: "custom", path: ["SCHEDULE_MAX_DELAY_MINUTES"], message: "must be at least SCHEDULE_MIN_DELAY_MINUTES" });
      }
    },
  },
);
