import { z } from "zod";
import { emptyToUndefined, integer, url } from "./fields.js";
import { group, setting } from "./group.js";

/** Telegram's cloud Bot API, where getFile hands out files of at most 20 MB. */
const CLOUD_API_HOST = "api.telegram.org";
/** What the bot may download from the cloud Bot API, and from a local Bot API server (which serves up to 2 GB). */
const DEFAULT_DOWNLOAD_LIMIT_MB = { cloud: 20, local: 2000 } as const;
const MB = 1024 * 1024;

/** A whole number of megabytes, at least 1, that may be unset (the default then depends on the API root). */
const optionalMegabytes = z.preprocess(
  emptyToUndefined,
  z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be at least 1").optional(),
);

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
    downloadLimitMb: setting("TELEGRAM_DOWNLOAD_LIMIT_MB", optionalMegabytes),
  },
});

/**
 * How many bytes the bot may download from the Bot API (attachments): TELEGRAM_DOWNLOAD_LIMIT_MB, else 20 MB on
 * Telegram's cloud Bot API and 2000 MB on any other root (a local Bot API server).
 */
export function telegramDownloadLimitBytes(telegram: { readonly apiRoot: string; readonly downloadLimitMb: number | undefined }): number {
  const cloud = new URL(telegram.apiRoot).hostname === CLOUD_API_HOST;
  return (telegram.downloadLimitMb ?? DEFAULT_DOWNLOAD_LIMIT_MB[cloud ? "cloud" : "local"]) * MB;
}
