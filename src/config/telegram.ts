import { z } from "zod";
import { integer, url } from "./fields.js";

/** The bot's token and Bot API server: `config.telegram`. */
export const telegramConfig = z
  .object({
    TELEGRAM_BOT_TOKEN: z
      .string({ error: "is required (the token @BotFather gave you)" })
      .trim()
      .regex(/^\d+:[A-Za-z0-9_-]+$/, "must look like 123456:ABC-DEF… (the token @BotFather gave you)"),
    TELEGRAM_API_ROOT: url("https://api.telegram.org"),
    TELEGRAM_POLL_TIMEOUT_SECONDS: integer(30, 0, 50),
  })
  .transform((env) => ({
    telegram: {
      token: env.TELEGRAM_BOT_TOKEN,
      apiRoot: env.TELEGRAM_API_ROOT,
      pollTimeoutSeconds: env.TELEGRAM_POLL_TIMEOUT_SECONDS,
    },
  }));
