import type { z } from "zod";
import { adminConfig } from "./config/admin.js";
import { aiConfig } from "./config/ai.js";
import { alertsConfig } from "./config/alerts.js";
import { databaseConfig } from "./config/database.js";
import { deadLettersConfig } from "./config/dead-letters.js";
import { emptyToUndefined } from "./config/fields.js";
import { httpConfig } from "./config/http.js";
import { processConfig } from "./config/process.js";
import { resilienceConfig } from "./config/resilience.js";
import { runtimeDefaultsConfig } from "./config/runtime-defaults.js";
import { sessionsConfig } from "./config/sessions.js";
import { telegramConfig } from "./config/telegram.js";
import { webhookConfig } from "./config/webhook.js";
import { workflowConfig } from "./config/workflow.js";
import { xConfig } from "./config/x.js";
import { xOAuth2Config } from "./config/x-oauth2.js";

export { ANONYMOUS_ADMIN_BOT_ID } from "./config/admin.js";
export { PRIMARY_ACCOUNT_LABEL } from "./config/x.js";

/**
 * The groups of the configuration, one per consumer, in the order their problems are reported. Each parses its own
 * variables (checking those that go together) and outputs its slice of {@link Config}; slices never share a key.
 */
const GROUPS = [
  telegramConfig,
  webhookConfig,
  adminConfig,
  databaseConfig,
  httpConfig,
  processConfig,
  aiConfig,
  xConfig,
  xOAuth2Config,
  sessionsConfig,
  workflowConfig,
  runtimeDefaultsConfig,
  resilienceConfig,
  deadLettersConfig,
  alertsConfig,
] as const;

type Merged<Groups> = Groups extends readonly [infer Head extends z.ZodType, ...infer Rest]
  ? z.output<Head> & Merged<Rest>
  : unknown;

type DeepReadonly<T> = T extends readonly (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

type Inferred = DeepReadonly<Merged<typeof GROUPS>>;
type InferredDefaults = Inferred["defaults"];

// Interfaces over the inferred types, not aliases: their members are resolved, so an index by a type parameter
// (RuntimeSettings[F] in workflow/settings.ts) sees the member types instead of a deferred mapped type.
/** The validated, typed configuration of one bot process: every group's slice, as its schema outputs it. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Config extends Inferred {}

/** The runtime-changeable settings as the environment sets them. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RuntimeSettingsDefaults extends InferredDefaults {}

/** OAuth 1.0a user-context credentials of one X account. */
export type XAccountCredentials = Config["x"]["accounts"][number]["credentials"];

/** Thrown when the environment does not describe a valid configuration; the message names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function describe(issue: z.core.$ZodIssue, env: NodeJS.ProcessEnv): string {
  const name = issue.path.join(".") || "environment";
  const missing = emptyToUndefined(env[name]) === undefined && issue.code === "invalid_type";
  // A variable's own "is required (…)" says where to get the value; zod's message for a missing one says nothing useful.
  return `${name} ${missing && !issue.message.startsWith("is required") ? "is required" : issue.message}`;
}

/** Parses and validates the environment once; throws {@link ConfigError} naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const slices = GROUPS.map((group) => {
    const result = group.safeParse(env);
    if (!result.success) problems.push(...result.error.issues.map((issue) => describe(issue, env)));
    return result.data;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  // The slices have disjoint keys, so their union is the intersection type Config describes.
  return Object.assign({}, ...slices) as Config;
}

/** The password of a URL as written and as decoded (a log line may carry either). */
function urlPasswords(url: string | undefined): string[] {
  if (url === undefined) return [];
  let password;
  try {
    password = new URL(url).password;
  } catch {
    return [];
  }
  if (password === "") return [];
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // A stray % is kept as written.
  }
  return decoded === password ? [password] : [password, decoded];
}

/** The secret values of a config, for log and message redaction. */
export function secretsOf(config: Config): string[] {
  return [
    config.telegram.token,
    config.botMode.mode === "webhook" ? config.botMode.secret : undefined,
    config.openai.apiKey,
    config.alerts.adminApiToken,
    config.http.metricsToken,
    config.http.dashboardToken,
    // A Slack or Discord webhook URL is itself a credential.
    config.alerts.webhookUrl,
    config.sessions.encryptionKey,
    config.xOAuth2.clientSecret,
    config.sessions.previousEncryptionKey,
    ...urlPasswords(config.database.url),
    ...urlPasswords(config.alerts.email?.smtpUrl),
    ...config.x.accounts.flatMap(({ credentials }) => [
      credentials.appKey,
      credentials.appSecret,
      credentials.accessToken,
      credentials.accessSecret,
    ]),
  ].filter((value): value is string => value !== undefined && value.length >= 6);
}

/** Names of every environment variable the configuration reads. */
export const CONFIG_VARIABLES: readonly string[] = GROUPS.flatMap((group) => Object.keys(group.in.shape));

/** The schema of one variable on its own (without the checks between variables), or undefined for an unknown one. */
export function variableSchema(variable: string): z.ZodType | undefined {
  for (const group of GROUPS) {
    const shape: Record<string, z.ZodType> = group.in.shape;
    if (Object.hasOwn(shape, variable)) return shape[variable];
  }
  return undefined;
}
