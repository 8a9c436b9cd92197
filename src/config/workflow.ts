import { z } from "zod";
import { boolean, cronExpression, emptyToUndefined, integer } from "./fields.js";
import { group, setting } from "./group.js";

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** How the reply pipeline runs: discovery, publishing schedule, reply policy, draft lifetime, time zone. */
export const workflowConfig = group({
  discovery: {
    cron: setting("DISCOVERY_CRON", cronExpression("0 */5 * * * *")),
    mentions: setting("DISCOVER_MENTIONS", boolean(true)),
  },
  publishCron: setting("PUBLISH_CRON", cronExpression("*/10 * * * * *")),
  replyPolicy: setting(
    "REPLY_POLICY",
    z.preprocess(emptyToUndefined, z.enum(["summoned", "any"], { error: "must be summoned or any" }).default("summoned")),
  ),
  draftTtlHours: setting("DRAFT_TTL_HOURS", integer(24, 1, 24 * 30)),
  drafting: {
    maxAttempts: setting("DRAFT_MAX_ATTEMPTS", integer(3, 1, 20)),
    maxPerAuthorPerDay: setting("MAX_DRAFTS_PER_AUTHOR_PER_DAY", integer(3, 1, 1_000)),
    maxPerDay: setting("MAX_DRAFTS_PER_DAY", integer(200, 1, 100_000)),
  },
  publishLeaseSeconds: setting("PUBLISH_LEASE_SECONDS", integer(120, 10, 3600)),
  publishConcurrency: setting("PUBLISH_CONCURRENCY", integer(1, 1, 32)),
  publishRetryBaseSeconds: setting("PUBLISH_RETRY_BASE_SECONDS", integer(30, 1, 3600)),
  timeZone: setting(
    "BOT_TIMEZONE",
    z.preprocess(
      emptyToUndefined,
      z.string().trim().default("UTC").refine(isTimeZone, "must be an IANA time zone such as UTC or Europe/Berlin"),
    ),
  ),
});
