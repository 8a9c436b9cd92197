import { z } from "zod";
import { emptyToUndefined } from "./fields.js";
import { group, setting } from "./group.js";

/** What Telegram accepts as a webhook's `secret_token`: 1–256 characters of A-Z, a-z, 0-9, `_` and `-`. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

/** An optional https URL (Telegram posts webhooks over HTTPS only). */
const optionalHttpsUrl = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .trim()
    .refine((value) => /^https:\/\/[^/\s]/i.test(value) && URL.canParse(value), "must be an https URL like https://bot.example.com/telegram/webhook")
    .optional(),
);

const optionalSecret = z.preprocess(
  emptyToUndefined,
  z.string().trim().regex(SECRET_PATTERN, "must be 1-256 characters of A-Z, a-z, 0-9, _ and -").optional(),
);

/**
 * How Telegram updates reach the bot: long polling by the leader (`BOT_MODE=polling`, the default), or webhooks that
 * Telegram posts to `WEBHOOK_URL` and any replica takes (`BOT_MODE=webhook`). WEBHOOK_* are ignored in polling mode.
 */
export const webhookConfig = group(
  {
    botMode: {
      mode: setting(
        "BOT_MODE",
        z.preprocess(emptyToUndefined, z.enum(["polling", "webhook"], { error: "must be polling or webhook" }).default("polling")),
      ),
      url: setting("WEBHOOK_URL", optionalHttpsUrl),
      secret: setting("WEBHOOK_SECRET", optionalSecret),
    },
  },
  {
    check(env, ctx) {
      if (env.BOT_MODE !== "webhook") return;
      if (env.WEBHOOK_URL === undefined) {
        ctx.addIssue({ code: "custom", path: ["WEBHOOK_URL"], message: "is required when BOT_MODE=webhook (the https URL Telegram posts updates to)" });
      }
      if (env.WEBHOOK_SECRET === undefined) {
        ctx.addIssue({ code: "custom", path: ["WEBHOOK_SECRET"], message: "is required when BOT_MODE=webhook (Telegram sends it back on every update)" });
      }
    },
    derive: ({ botMode: { mode, url, secret } }) => ({
      botMode:
        mode === "webhook" && url !== undefined && secret !== undefined
          ? { mode, url, path: new URL(url).pathname, secret }
          : { mode: "polling" as const },
    }),
  },
);
