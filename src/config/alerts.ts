import cron from "node-cron";
import { z } from "zod";
import { cronExpression, emptyToUndefined, integer } from "./fields.js";
import { group, setting } from "./group.js";

/** Loose on purpose: local mail hosts (user@localhost) are valid senders and receivers. */
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** Alert levels, channels and schedules, and the admin HTTP API token. */
export const alertsConfig = group(
  {
    alerts: {
      minLevel: setting(
        "MIN_ALERT_LEVEL",
        z.preprocess(
          emptyToUndefined,
          z
            .enum(["debug", "info", "warning", "error", "critical"], { error: "must be debug, info, warning, error or critical" })
            .default("warning"),
        ),
      ),
      dedupWindowSeconds: setting("ALERT_DEDUP_WINDOW_SECONDS", integer(300, 0, 86_400)),
      /** How often the outbox worker delivers pending alerts. */
      cron: setting("ALERT_CRON", cronExpression("*/5 * * * * *")),
      webhookUrl: setting(
        "ALERT_WEBHOOK_URL",
        z.preprocess(emptyToUndefined, z.string().trim().url("must be an http(s) URL").optional()),
      ),
      smtpUrl: setting(
        "SMTP_URL",
        z.preprocess(emptyToUndefined, z.string().trim().regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL").optional()),
      ),
      emailTo: setting(
        "ALERT_EMAIL_TO",
        z.preprocess(emptyToUndefined, z.string().trim().regex(EMAIL, "must be an e-mail address").optional()),
      ),
      emailFrom: setting(
        "ALERT_EMAIL_FROM",
        z.preprocess(emptyToUndefined, z.string().trim().regex(EMAIL, "must be an e-mail address").default("reply-guy-bot@localhost")),
      ),
      /** Bearer token of the admin HTTP API; the API is off when unset. */
      adminApiToken: setting(
        "ADMIN_API_TOKEN",
        z.preprocess(emptyToUndefined, z.string().trim().min(16, "must be at least 16 characters").optional()),
      ),
      /** Daily health digest schedule; "" = off. */
      digestCron: setting(
        "HEALTH_DIGEST_CRON",
        // Only an unset variable takes the default: an explicitly empty one turns the digest off.
        z.preprocess(
          (value) => (value === undefined ? "0 0 9 * * *" : value),
          z
            .string()
            .trim()
            .refine((value) => value === "" || cron.validate(value), "must be a cron expression, or empty to turn the digest off"),
        ),
      ),
    },
  },
  {
    check(env, ctx) {
      if ((env.SMTP_URL === undefined) !== (env.ALERT_EMAIL_TO === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: [env.SMTP_URL === undefined ? "SMTP_URL" : "ALERT_EMAIL_TO"],
          message: "is required with the other one: e-mail alerts need both SMTP_URL and ALERT_EMAIL_TO",
        });
      }
    },
    derive: ({ alerts: { smtpUrl, emailTo, emailFrom, ...alerts } }) => ({
      alerts: {
        ...alerts,
        /** The e-mail channel; both SMTP_URL and ALERT_EMAIL_TO set it up. */
        email: smtpUrl && emailTo ? { smtpUrl, to: emailTo, from: emailFrom } : undefined,
      },
    }),
  },
);
