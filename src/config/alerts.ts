import cron from "node-cron";
import { z } from "zod";
import { cronExpression, emptyToUndefined, integer } from "./fields.js";

/** Loose on purpose: local mail hosts (user@localhost) are valid senders and receivers. */
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** Alert levels, channels and schedules, and the admin HTTP API token: `config.alerts`. */
export const alertsConfig = z
  .object({
    MIN_ALERT_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(["debug", "info", "warning", "error", "critical"], { error: "must be debug, info, warning, error or critical" }).default("warning"),
    ),
    ALERT_DEDUP_WINDOW_SECONDS: integer(300, 0, 86_400),
    ALERT_CRON: cronExpression("*/5 * * * * *"),
    ALERT_WEBHOOK_URL: z.preprocess(emptyToUndefined, z.string().trim().url("must be an http(s) URL").optional()),
    SMTP_URL: z.preprocess(
      emptyToUndefined,
      z.string().trim().regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL").optional(),
    ),
    ALERT_EMAIL_TO: z.preprocess(emptyToUndefined, z.string().trim().regex(EMAIL, "must be an e-mail address").optional()),
    ALERT_EMAIL_FROM: z.preprocess(
      emptyToUndefined,
      z.string().trim().regex(EMAIL, "must be an e-mail address").default("reply-guy-bot@localhost"),
    ),
    ADMIN_API_TOKEN: z.preprocess(
      emptyToUndefined,
      z.string().trim().min(16, "must be at least 16 characters").optional(),
    ),
    // Only an unset variable takes the default: an explicitly empty one turns the digest off.
    HEALTH_DIGEST_CRON: z.preprocess(
      (value) => (value === undefined ? "0 0 9 * * *" : value),
      z
        .string()
        .trim()
        .refine((value) => value === "" || cron.validate(value), "must be a cron expression, or empty to turn the digest off"),
    ),
  })
  .superRefine((env, ctx) => {
    if ((env.SMTP_URL === undefined) !== (env.ALERT_EMAIL_TO === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [env.SMTP_URL === undefined ? "SMTP_URL" : "ALERT_EMAIL_TO"],
        message: "is required with the other one: e-mail alerts need both SMTP_URL and ALERT_EMAIL_TO",
      });
    }
  })
  .transform((env) => ({
    alerts: {
      minLevel: env.MIN_ALERT_LEVEL,
      dedupWindowSeconds: env.ALERT_DEDUP_WINDOW_SECONDS,
      /** How often the outbox worker delivers pending alerts. */
      cron: env.ALERT_CRON,
      webhookUrl: env.ALERT_WEBHOOK_URL,
      email:
        env.SMTP_URL && env.ALERT_EMAIL_TO
          ? { smtpUrl: env.SMTP_URL, to: env.ALERT_EMAIL_TO, from: env.ALERT_EMAIL_FROM }
          : undefined,
      /** Bearer token of the admin HTTP API; the API is off when unset. */
      adminApiToken: env.ADMIN_API_TOKEN,
      /** Daily health digest schedule; "" = off. */
      digestCron: env.HEALTH_DIGEST_CRON,
    },
  }));
