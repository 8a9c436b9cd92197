import { createOpenAiDrafter } from "./ai/drafter.js";
import type { Drafter } from "./ai/types.js";
import type { Config } from "./config.js";
import { accountsSecretBox } from "./db/key-file.js";
import type { SecretBox } from "./kit/secret-box.js";
import type { Logger } from "./logger.js";
import { createAiGuard, type AiActivity } from "./resilience/ai-guard.js";
import type { ResilienceRegistry } from "./resilience/registry.js";
import { xPolicyName } from "./resilience/policy-names.js";
import { resilientXClient } from "./resilience/resilient-x-client.js";
import { createXAccountClient } from "./x/twitter-client.js";
import type { XAccountClient } from "./x/types.js";
import { createXOAuth2App, type XOAuth2App } from "./x/oauth2.js";
import { clientCredentialsOf, type StoredAccount, type XClientFactory } from "./workflow/account-store.js";
import { oauth2TokenProvider, type OAuth2SessionDeps } from "./workflow/oauth2-session.js";

/** The X app's OAuth 2.0 client (connect, refresh), or undefined while X_CLIENT_ID or PUBLIC_URL is unset. */
export function xOAuth2AppFromConfig(config: Config): XOAuth2App | undefined {
  const client = config.xOAuth2.client;
  if (!client) return undefined;
  return createXOAuth2App({ ...client, apiRoot: config.x.apiRoot, requestTimeoutMs: config.resilience.xRequestTimeoutMs });
}

/**
 * Makes an account's X API client, under its own policy ("x:<label>"). With `sessions` (the OAuth 2.0 app is
 * configured), a stored OAuth 2.0 account's access token is renewed before it expires (oauth2-session.ts).
 */
export function xClientFactory(config: Config, registry: ResilienceRegistry, sessions?: OAuth2SessionDeps): XClientFactory {
  return (label, secrets) => {
    const client = createXAccountClient({
      apiRoot: config.x.apiRoot,
      credentials:
        secrets.authKind === "oauth2" && sessions
          ? { kind: "oauth2", accessToken: oauth2TokenProvider(sessions, label, secrets.credentials) }
          : clientCredentialsOf(secrets),
      requestTimeoutMs: config.resilience.xRequestTimeoutMs,
    });
    return resilientXClient(client, registry.policy(xPolicyName(label), "x"));
  };
}

/** The X API clients of the env accounts, then of the stored ones (opened at boot), by label. */
export function xClientsFromConfig(
  config: Config,
  registry: ResilienceRegistry,
  stored: readonly StoredAccount[] = [],
  sessions?: OAuth2SessionDeps,
): ReadonlyMap<string, XAccountClient> {
  const make = xClientFactory(config, registry, sessions);
  const clients = new Map<string, XAccountClient>();
  for (const { label, credentials } of config.x.accounts) clients.set(label, make(label, { authKind: "oauth1", credentials }));
  for (const { label, secrets } of stored) if (!clients.has(label)) clients.set(label, make(label, secrets));
  return clients;
}

/**
 * The secret box of stored account credentials: ENCRYPTION_KEY (with ENCRYPTION_KEY_PREVIOUS during a rotation);
 * without it, on the embedded database the app opened itself, a key generated once into DATA_DIR; else none.
 */
export function secretBoxFromConfig(config: Config, logger: Logger, options: { keyFileAllowed: boolean }): SecretBox | undefined {
  const opened = accountsSecretBox(config.sessions, options.keyFileAllowed ? { dataDir: config.database.dataDir, mode: "create" } : undefined);
  if (opened?.file) {
    logger.info(
      { path: opened.file.path },
      opened.file.created
        ? "ENCRYPTION_KEY not set: generated an encryption key for stored X credentials into DATA_DIR (mode 0600); back it up with the data"
        : "ENCRYPTION_KEY not set: using the encryption key generated earlier in DATA_DIR",
    );
  }
  return opened?.box;
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
