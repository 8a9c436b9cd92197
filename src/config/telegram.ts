import { z } from "zod";
import { integer, url } from "./fields.js";
import { group, setting } from "./group.js";

/** The bot's token and Bot API server. */
export const telegramConfig = group({
  telegram: {
    token: setting(
      "TELEGRAM_BOT_TOKEN",
      z
        .string({ error: "is required (the token @BotFather gave you)" })
        .trim()
        .regex(/^\d+:[A-Za-z0-9_-]+$/, "must look like 123456:ABC-DEF… (the token @BotFather gave you)"),
    ),
    apiRoot: setting("TELEGRAM_API_ROOT", url("https://api.telegram.org")),
    pollTimeoutSeconds: setting("TELEGRAM_POLL_TIMEOUT_SECONDS", integer(30, 0, 50)),
  },
});
