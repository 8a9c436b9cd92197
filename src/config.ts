import { z } from "zod";

/** Bot API user id of the "GroupAnonymousBot" that stands in for anonymous group admins. */
export const ANONYMOUS_ADMIN_BOT_ID = 1087968824;

const emptyToUndefined = (value: unknown): unknown =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

const optionalString = z.preprocess(emptyToUndefined, z.string().trim().optional());

const integer = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  );

const url = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .url("must be a URL like https://host/path")
      .default(fallback)
      .transform((value) => value.replace(/\/+$/, "")),
  );

const chatId = z.coerce
  .number({ error: "must be a Telegram chat id (a whole number, negative for groups)" })
  .int("must be a whole number")
  .refine((id) => id !== 0, "must not be 0");

const userIdList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const ids = value
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== "");
      const parsed = ids.map(Number);
      if (parsed.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
        ctx.addIssue({ code: "custom", message: "must be a comma-separated list of positive Telegram user ids" });
        return z.NEVER;
      }
      return parsed;
    }),
);

const envSchema = z
  .object({
    TELEGRAM_BOT_TOKEN: z
      .string({ error: "is required (the token @BotFather gave you)" })
      .trim()
      .regex(/^\d+:[A-Za-z0-9_-]+$/, "must look like 123456:ABC-DEF… (the token @BotFather gave you)"),
    TELEGRAM_API_ROOT: url("https://api.telegram.org"),
    TELEGRAM_POLL_TIMEOUT_SECONDS: integer(30, 0, 50),
    ADMIN_CHAT_ID: chatId,
    ADMIN_USER_IDS: userIdList,
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .trim()
        .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
        .optional(),
    ),
    DATA_DIR: z.preprocess(emptyToUndefined, z.string().trim().default("./data")),
    HTTP_HOST: z.preprocess(emptyToUndefined, z.string().trim().default("127.0.0.1")),
    HTTP_PORT: integer(8080, 0, 65535),
    LOG_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: url("https://api.openai.com/v1"),
    OPENAI_MODEL: z.preprocess(emptyToUndefined, z.string().trim().default("gpt-4o-mini")),
    X_API_ROOT: url("https://api.x.com"),
    X_APP_KEY: optionalString,
    X_APP_SECRET: optionalString,
    X_ACCESS_TOKEN: optionalString,
    X_ACCESS_SECRET: optionalString,
    GRACEFUL_SHUTDOWN_TIMEOUT_MS: integer(10_000, 100, 600_000),
  })
  .superRefine((env, ctx) => {
    const xKeys = ["X_APP_KEY", "X_APP_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_SECRET"] as const;
    const present = xKeys.filter((key) => env[key] !== undefined);
    if (present.length > 0 && present.length < xKeys.length) {
      for (const key of xKeys.filter((k) => env[k] === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `is required when ${present.join(", ")} ${present.length === 1 ? "is" : "are"} set (all four X credentials go together)`,
        });
      }
    }
    if (env.ADMIN_USER_IDS === undefined && env.ADMIN_CHAT_ID < 0) {
      ctx.addIssue({
        code: "custom",
        path: ["ADMIN_USER_IDS"],
        message: "is required when ADMIN_CHAT_ID is a group (negative id): list the admins' user ids",
      });
    }
  });

/** OAuth 1.0a user-context credentials of one X account. */
export interface XAccountCredentials {
  readonly appKey: string;
  readonly appSecret: string;
  readonly accessToken: string;
  readonly accessSecret: string;
}

/** The validated, typed configuration of one bot process. */
export interface Config {
  readonly telegram: { readonly token: string; readonly apiRoot: string; readonly pollTimeoutSeconds: number };
  readonly adminChatId: number;
  readonly adminUserIds: readonly number[];
  readonly database: { readonly url: string | undefined; readonly dataDir: string };
  readonly http: { readonly host: string; readonly port: number };
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  readonly openai: { readonly apiKey: string | undefined; readonly baseUrl: string; readonly model: string };
  readonly x: { readonly apiRoot: string; readonly account: XAccountCredentials | undefined };
  readonly gracefulShutdownTimeoutMs: number;
}

/** Thrown when the environment does not describe a valid configuration; the message names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses and validates the environment once; throws {@link ConfigError} naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join(".") || "environment";
      const missing = emptyToUndefined(env[name]) === undefined && issue.code === "invalid_type";
      return `${name} ${missing ? "is required" : issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = result.data;
  const account =
    e.X_APP_KEY && e.X_APP_SECRET && e.X_ACCESS_TOKEN && e.X_ACCESS_SECRET
      ? { appKey: e.X_APP_KEY, appSecret: e.X_APP_SECRET, accessToken: e.X_ACCESS_TOKEN, accessSecret: e.X_ACCESS_SECRET }
      : undefined;
  return {
    telegram: { token: e.TELEGRAM_BOT_TOKEN, apiRoot: e.TELEGRAM_API_ROOT, pollTimeoutSeconds: e.TELEGRAM_POLL_TIMEOUT_SECONDS },
    adminChatId: e.ADMIN_CHAT_ID,
    adminUserIds: e.ADMIN_USER_IDS ?? [e.ADMIN_CHAT_ID],
    database: { url: e.DATABASE_URL, dataDir: e.DATA_DIR },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    logLevel: e.LOG_LEVEL,
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL },
    x: { apiRoot: e.X_API_ROOT, account },
    gracefulShutdownTimeoutMs: e.GRACEFUL_SHUTDOWN_TIMEOUT_MS,
  };
}

/** The secret values of a config, for log and message redaction. */
export function secretsOf(config: Config): string[] {
  const account = config.x.account;
  return [
    config.telegram.token,
    config.openai.apiKey,
    account?.appKey,
    account?.appSecret,
    account?.accessToken,
    account?.accessSecret,
  ].filter((value): value is string => value !== undefined && value.length >= 6);
}
