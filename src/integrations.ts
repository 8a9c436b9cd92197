import { createOpenAiDrafter } from "./ai/drafter.js";
import type { Drafter } from "./ai/types.js";
import type { Config } from "./config.js";
import { createXAccountClient } from "./x/twitter-client.js";
import type { XAccountClient } from "./x/types.js";

/** Label of the X account configured by the X_* variables. */
export const PRIMARY_ACCOUNT_LABEL = "main";

/** The X API clients of the configured accounts, by label (empty when X is not configured). */
export function xClientsFromConfig(config: Config): ReadonlyMap<string, XAccountClient> {
  const clients = new Map<string, XAccountClient>();
  if (config.x.account) {
    clients.set(PRIMARY_ACCOUNT_LABEL, createXAccountClient({ apiRoot: config.x.apiRoot, credentials: config.x.account }));
  }
  return clients;
}

/** The AI drafter, or undefined when no API key is configured. */
export function drafterFromConfig(config: Config): Drafter | undefined {
  if (!config.openai.apiKey) return undefined;
  return createOpenAiDrafter({
    baseUrl: config.openai.baseUrl,
    apiKey: config.openai.apiKey,
    model: config.openai.model,
    fallbackModels: config.ai.fallbackModels,
    maxShortenAttempts: config.ai.maxShortenAttempts,
  });
}
