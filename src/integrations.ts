import { createOpenAiDrafter } from "./ai/drafter.js";
import type { Drafter } from "./ai/types.js";
import type { Config } from "./config.js";
import { createXAccountClient } from "./x/twitter-client.js";
import type { XAccountClient } from "./x/types.js";

/** The X API clients of the configured accounts, by label (empty when X is not configured). */
export function xClientsFromConfig(config: Config): ReadonlyMap<string, XAccountClient> {
  const clients = new Map<string, XAccountClient>();
  for (const { label, credentials } of config.x.accounts) {
    clients.set(label, createXAccountClient({ apiRoot: config.x.apiRoot, credentials }));
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
