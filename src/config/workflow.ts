import { z } from "zod";
import { boolean, cronExpression, emptyToUndefined, integer } from "./fields.js";

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** How the reply pipeline runs: `config.discovery`, `config.publishCron`, `config.replyPolicy`, `config.timeZone` … */
export const workflowConfig = z
  .object({
    DISCOVERY_CRON: cronExpression("0 */5 * * * *"),
    DISCOVER_MENTIONS: boolean(true),
    PUBLISH_CRON: cronExpression("*/10 * * * * *"),
    REPLY_POLICY: z.preprocess(
      emptyToUndefined,
      z.enum(["summoned", "any"], { error: "must be summoned or any" }).default("summoned"),
    ),
    DRAFT_TTL_HOURS: integer(24, 1, 24 * 30),
    PUBLISH_LEASE_SECONDS: integer(120, 10, 3600),
    BOT_TIMEZONE: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .trim()
        .default("UTC")
        .refine(isTimeZone, "must be an IANA time zone such as UTC or Europe/Berlin"),
    ),
  })
  .transform((env) => ({
    discovery: { cron: env.DISCOVERY_CRON, mentions: env.DISCOVER_MENTIONS },
    publishCron: env.PUBLISH_CRON,
    replyPolicy: env.REPLY_POLICY,
    draftTtlHours: env.DRAFT_TTL_HOURS,
    publishLeaseSeconds: env.PUBLISH_LEASE_SECONDS,
    timeZone: env.BOT_TIMEZONE,
  }));
