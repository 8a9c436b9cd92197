import { createOpenAiDrafter } from "./ai/drafter.js";
import type { Drafter } from "./ai/types.js";
import type { Config } from "./config.js";
import { createAiGuard, type AiActivity } from "./resilience/ai-guard.js";
import type { ResilienceRegistry } from "./resilience/registry.js";
import { xPolicyName } from "./resilience/policy-names.js";
import { resilientXClient } from "./resilience/resilient-x-client.js";
import { createXAccountClient } from "./x/twitter-client.js";
import type { XAccountClient } from "./x/types.js";

/** The X API clients of the configured accounts, by label, each under its own policy ("x:<label>"). */
export function xClientsFromConfig(config: Config, registry: ResilienceRegistry): ReadonlyMap<string, XAccountClient> {
  const clients = new Map<string, XAccountClient>();
  for (const { label, credentials } of config.x.accounts) {
    const client = createXAccountClient({
      apiRoot: config.x.apiRoot,
      credentials,
      requestTimeoutMs: config.resilience.xRequestTimeoutMs,
    });
    clients.set(label, resilientXClient(client, registry.policy(xPolicyName(label), "x")));
  }
  return clients;
}

/** The AI drafter (each model under its own policy), or undefined when no API key is configured. */
export function drafterFromConfig(config: Config, registry: ResilienceRegistry, activity?: AiActivity): Drafter | undefined {
  if (!config.openai.apiKey) return undefined;
  return createOpenAiDrafter({
    baseUrl: config.openai.baseUrl,
    apiKey: config.openai.apiKey,
    model: config.openai.model,
    fallbackModels: config.ai.fallbackModels,
    maxShortenAttempts: config.ai.maxShortenAttempts,
    maxTokens: config.ai.maxTokens,
    requestTimeoutMs: config.resilience.aiRequestTimeoutMs,
    guard: createAiGuard(registry, activity),
    replyGuard: config.replyGuard,
  });
}
