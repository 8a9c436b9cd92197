import { autoRetry } from "@grammyjs/auto-retry";
import { Api } from "grammy";
import type { Config } from "../config.js";
import type { TelegramActivity } from "../health/health-service.js";

/** Bounded retries of Bot API calls (429 within 30 s, 5xx); network errors surface at once. */
export function telegramRetry() {
  return autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: true });
}

/** Installs the bounded retries and the "Telegram answered" mark /health reads on an API object. */
export function installApiTransformers(api: Api, activity: TelegramActivity): void {
  api.config.use(telegramRetry());
  api.config.use(async (prev, method, payload, signal) => {
    const result = await prev(method, payload, signal);
    if (result.ok) activity.markSuccess();
    return result;
  });
}

/**
 * A Bot API client set up like the bot's own, for what must exist before the bot (the workflow's
 * card sink, which the bot's features in turn depend on).
 */
export function createTelegramApi(telegram: Config["telegram"], activity: TelegramActivity): Api {
  const api = new Api(telegram.token, { apiRoot: telegram.apiRoot });
  installApiTransformers(api, activity);
  return api;
}
