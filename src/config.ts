import cron from "node-cron";
import { z } from "zod";

/** Label of the X account configured by the X_* variables. */
export const PRIMARY_ACCOUNT_LABEL = "main";

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

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const cronExpression = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .default(fallback)
      .refine((value) => cron.validate(value), "must be a cron expression (5 fields, or 6 with seconds first)"),
  );

const boolean = (fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
      .optional()
      .transform((value) => (value === undefined ? fallback : ["true", "1", "yes"].includes(value))),
  );

/** Loose on purpose: local mail hosts (user@localhost) are valid senders and receivers. */
const EMAIL = /^[^@\s]+@[^@\s]+$/;

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
    X_EXTRA_ACCOUNTS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .optional()
        .transform((value, ctx) => {
          if (value === undefined) return [];
          const accounts = value.split(",").map((entry) => entry.trim().split(":"));
          if (accounts.some((parts) => parts.length !== 3 || parts.some((part) => !/^[\w.-]+$/.test(part)))) {
            ctx.addIssue({ code: "custom", message: "must be a comma list of label:accessToken:accessSecret" });
            return z.NEVER;
          }
          return accounts.map(([label, accessToken, accessSecret]) => ({
            label: label!,
            accessToken: accessToken!,
            accessSecret: accessSecret!,
          }));
        }),
    ),
    GRACEFUL_SHUTDOWN_TIMEOUT_MS: integer(10_000, 100, 600_000),
    OPENAI_FALLBACK_MODELS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .optional()
        .transform((value) => (value ?? "").split(",").map((m) => m.trim()).filter((m) => m !== "")),
    ),
    PERSONA: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .default(
          "You are a friendly, knowledgeable person replying on X. Be helpful and specific, add something of value, keep a light touch.",
        ),
    ),
    MAX_SHORTEN_ATTEMPTS: integer(2, 0, 5),
    DISCOVERY_CRON: cronExpression("0 */5 * * * *"),
    PUBLISH_CRON: cronExpression("*/10 * * * * *"),
    DISCOVER_MENTIONS: boolean(true),
    GATEKEEPER_ENABLED: boolean(false),
    GATEKEEPER_MIN_SCORE: z.preprocess(
      emptyToUndefined,
      z.coerce.number({ error: "must be a number from 0 to 1" }).min(0, "must be at least 0").max(1, "must be at most 1").default(0.5),
    ),
    REPLY_POLICY: z.preprocess(
      emptyToUndefined,
      z.enum(["summoned", "any"], { error: "must be summoned or any" }).default("summoned"),
    ),
    DRAFT_TTL_HOURS: integer(24, 1, 24 * 30),
    SCHEDULE_MIN_DELAY_MINUTES: integer(15, 0, 24 * 60),
    SCHEDULE_MAX_DELAY_MINUTES: integer(120, 0, 24 * 60),
    SCHEDULE_JITTER_SECONDS: integer(300, 0, 3600),
    QUIET_HOURS: z.preprocess(
      (value) => (value === undefined ? "00:00-07:00" : value),
      z
        .string()
        .trim()
        .regex(/^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM-HH:MM (24 h) or empty for none"),
    ),
    BOT_TIMEZONE: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .trim()
        .default("UTC")
        .refine(isTimeZone, "must be an IANA time zone such as UTC or Europe/Berlin"),
    ),
    PUBLISH_LEASE_SECONDS: integer(120, 10, 3600),
    PUBLISH_GAP_SECONDS: z.preprocess(
      (value) => emptyToUndefined(value) ?? "30-90",
      z
        .string()
        .trim()
        .regex(/^\d+(-\d+)?$/, "must be seconds N or a range N-M")
        .transform((value) => {
          const [min, max] = value.split("-").map(Number);
          return { min: min ?? 0, max: max ?? min ?? 0 };
        })
        .refine((range) => range.min <= range.max, "must be a range with min ≤ max"),
    ),
    X_REQUEST_TIMEOUT_MS: integer(15_000, 100, 120_000),
    AI_REQUEST_TIMEOUT_MS: integer(20_000, 100, 300_000),
    X_BREAKER_THRESHOLD: integer(5, 1, 100),
    X_BREAKER_HALF_OPEN_SECONDS: integer(120, 1, 86_400),
    AI_BREAKER_THRESHOLD: integer(3, 1, 100),
    AI_BREAKER_HALF_OPEN_SECONDS: integer(60, 1, 86_400),
    DB_BREAKER_THRESHOLD: integer(3, 1, 100),
    DB_BREAKER_HALF_OPEN_SECONDS: integer(30, 1, 86_400),
    RETRY_MAX_ATTEMPTS: integer(3, 1, 10),
    RETRY_BASE_DELAY_MS: integer(1_000, 1, 60_000),
    RETRY_MAX_DELAY_MS: integer(10_000, 1, 600_000),
    DLQ_CRON: cronExpression("15 * * * * *"),
    DLQ_BASE_DELAY_SECONDS: integer(60, 1, 86_400),
    DLQ_BACKOFF_MULTIPLIER: z.preprocess(
      emptyToUndefined,
      z.coerce.number({ error: "must be a number" }).min(1, "must be at least 1").max(10, "must be at most 10").default(2),
    ),
    DLQ_MAX_RETRIES: integer(5, 0, 50),
    MIN_ALERT_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(["debug", "info", "warning", "error", "critical"], { error: "must be debug, info, warning, error or critical" }).default("warning"),
    ),
    ALERT_DEDUP_WINDOW_SECONDS: integer(300, 0, 86_400),
    ALERT_CRON: cronExpression("*/5 * * * * *"),
    ALERT_WEBHOOK_URL: z.preprocess(emptyToUndefined, z.string().trim().url("must be an http(s) URL").optional()),
    SMTP_URL: z.preprocess(
      emptyToUndefined,
      z.string().trim().regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL").optional(),
    ),
    ALERT_EMAIL_TO: z.preprocess(emptyToUndefined, z.string().trim().regex(EMAIL, "must be an e-mail address").optional()),
    ALERT_EMAIL_FROM: z.preprocess(
      emptyToUndefined,
      z.string().trim().regex(EMAIL, "must be an e-mail address").default("reply-guy-bot@localhost"),
    ),
    ADMIN_API_TOKEN: z.preprocess(
      emptyToUndefined,
      z.string().trim().min(16, "must be at least 16 characters").optional(),
    ),
    HEALTH_DIGEST_CRON: z.preprocess(
      (value) => (value === undefined ? "0 0 9 * * *" : value),
      z
        .string()
        .trim()
        .refine((value) => value === "" || cron.validate(value), "must be a cron expression, or empty to turn the digest off"),
    ),
    MAX_POSTS_PER_HOUR: integer(15, 1, 1000),
    MAX_POSTS_PER_DAY: integer(50, 1, 10_000),
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
    if (env.X_EXTRA_ACCOUNTS.length > 0 && present.length === 0) {
      ctx.addIssue({ code: "custom", path: ["X_EXTRA_ACCOUNTS"], message: "needs the X_APP_KEY … X_ACCESS_SECRET of the first account" });
    }
    const labels = [PRIMARY_ACCOUNT_LABEL, ...env.X_EXTRA_ACCOUNTS.map((account) => account.label)];
    if (new Set(labels).size !== labels.length) {
      ctx.addIssue({ code: "custom", path: ["X_EXTRA_ACCOUNTS"], message: `labels must be unique and not "${PRIMARY_ACCOUNT_LABEL}"` });
    }
    if ((env.SMTP_URL === undefined) !== (env.ALERT_EMAIL_TO === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [env.SMTP_URL === undefined ? "SMTP_URL" : "ALERT_EMAIL_TO"],
        message: "is required with the other one: e-mail alerts need both SMTP_URL and ALERT_EMAIL_TO",
      });
    }
    if (env.RETRY_BASE_DELAY_MS > env.RETRY_MAX_DELAY_MS) {
      ctx.addIssue({ code: "custom", path: ["RETRY_MAX_DELAY_MS"], message: "must be at least RETRY_BASE_DELAY_MS" });
    }
    if (env.SCHEDULE_MIN_DELAY_MINUTES > env.SCHEDULE_MAX_DELAY_MINUTES) {
      ctx.addIssue({
        code: "custom",
        path: ["SCHEDULE_MAX_DELAY_MINUTES"],
        message: "must be at least SCHEDULE_MIN_DELAY_MINUTES",
      });
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
  /** The X accounts replies go out from; the first is the X_* account labelled "main". Empty = X not configured. */
  readonly x: { readonly apiRoot: string; readonly accounts: readonly { readonly label: string; readonly credentials: XAccountCredentials }[] };
  readonly gracefulShutdownTimeoutMs: number;
  readonly ai: { readonly fallbackModels: readonly string[]; readonly maxShortenAttempts: number };
  readonly discovery: { readonly cron: string; readonly mentions: boolean };
  readonly publishCron: string;
  readonly replyPolicy: "summoned" | "any";
  readonly draftTtlHours: number;
  readonly publishLeaseSeconds: number;
  readonly timeZone: string;
  readonly resilience: {
    readonly xRequestTimeoutMs: number;
    readonly aiRequestTimeoutMs: number;
    /** Attempts in all (first try included) of one call before it fails. */
    readonly maxAttempts: number;
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
    readonly breakers: Readonly<Record<"x" | "ai" | "db", { readonly threshold: number; readonly halfOpenSeconds: number }>>;
  };
  readonly alerts: {
    readonly minLevel: "debug" | "info" | "warning" | "error" | "critical";
    readonly dedupWindowSeconds: number;
    /** How often the outbox worker delivers pending alerts. */
    readonly cron: string;
    readonly webhookUrl: string | undefined;
    readonly email: { readonly smtpUrl: string; readonly to: string; readonly from: string } | undefined;
    /** Bearer token of the admin HTTP API; the API is off when unset. */
    readonly adminApiToken: string | undefined;
    /** Daily health digest schedule; "" = off. */
    readonly digestCron: string;
  };
  readonly deadLetters: {
    readonly cron: string;
    readonly baseDelaySeconds: number;
    readonly backoffMultiplier: number;
    readonly maxRetries: number;
  };
  /** Defaults of the settings an admin can change at runtime with /settings. */
  readonly defaults: RuntimeSettingsDefaults;
}

/** The runtime-changeable settings as the environment sets them. */
export interface RuntimeSettingsDefaults {
  readonly persona: string;
  readonly minDelayMinutes: number;
  readonly maxDelayMinutes: number;
  readonly jitterSeconds: number;
  /** "HH:MM-HH:MM" in the bot's time zone, or "" for none. */
  readonly quietHours: string;
  readonly gapSeconds: { readonly min: number; readonly max: number };
  readonly maxPostsPerHour: number;
  readonly maxPostsPerDay: number;
  readonly gatekeeperEnabled: boolean;
  readonly gatekeeperMinScore: number;
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
    x: {
      apiRoot: e.X_API_ROOT,
      accounts: account
        ? [
            { label: PRIMARY_ACCOUNT_LABEL, credentials: account },
            ...e.X_EXTRA_ACCOUNTS.map((extra) => ({
              label: extra.label,
              credentials: { ...account, accessToken: extra.accessToken, accessSecret: extra.accessSecret },
            })),
          ]
        : [],
    },
    gracefulShutdownTimeoutMs: e.GRACEFUL_SHUTDOWN_TIMEOUT_MS,
    ai: { fallbackModels: e.OPENAI_FALLBACK_MODELS, maxShortenAttempts: e.MAX_SHORTEN_ATTEMPTS },
    discovery: { cron: e.DISCOVERY_CRON, mentions: e.DISCOVER_MENTIONS },
    publishCron: e.PUBLISH_CRON,
    replyPolicy: e.REPLY_POLICY,
    draftTtlHours: e.DRAFT_TTL_HOURS,
    publishLeaseSeconds: e.PUBLISH_LEASE_SECONDS,
    timeZone: e.BOT_TIMEZONE,
    resilience: {
      xRequestTimeoutMs: e.X_REQUEST_TIMEOUT_MS,
      aiRequestTimeoutMs: e.AI_REQUEST_TIMEOUT_MS,
      maxAttempts: e.RETRY_MAX_ATTEMPTS,
      baseDelayMs: e.RETRY_BASE_DELAY_MS,
      maxDelayMs: e.RETRY_MAX_DELAY_MS,
      breakers: {
        x: { threshold: e.X_BREAKER_THRESHOLD, halfOpenSeconds: e.X_BREAKER_HALF_OPEN_SECONDS },
        ai: { threshold: e.AI_BREAKER_THRESHOLD, halfOpenSeconds: e.AI_BREAKER_HALF_OPEN_SECONDS },
        db: { threshold: e.DB_BREAKER_THRESHOLD, halfOpenSeconds: e.DB_BREAKER_HALF_OPEN_SECONDS },
      },
    },
    alerts: {
      minLevel: e.MIN_ALERT_LEVEL,
      dedupWindowSeconds: e.ALERT_DEDUP_WINDOW_SECONDS,
      cron: e.ALERT_CRON,
      webhookUrl: e.ALERT_WEBHOOK_URL,
      email:
        e.SMTP_URL && e.ALERT_EMAIL_TO ? { smtpUrl: e.SMTP_URL, to: e.ALERT_EMAIL_TO, from: e.ALERT_EMAIL_FROM } : undefined,
      adminApiToken: e.ADMIN_API_TOKEN,
      digestCron: e.HEALTH_DIGEST_CRON,
    },
    deadLetters: {
      cron: e.DLQ_CRON,
      baseDelaySeconds: e.DLQ_BASE_DELAY_SECONDS,
      backoffMultiplier: e.DLQ_BACKOFF_MULTIPLIER,
      maxRetries: e.DLQ_MAX_RETRIES,
    },
    defaults: {
      persona: e.PERSONA,
      minDelayMinutes: e.SCHEDULE_MIN_DELAY_MINUTES,
      maxDelayMinutes: e.SCHEDULE_MAX_DELAY_MINUTES,
      jitterSeconds: e.SCHEDULE_JITTER_SECONDS,
      quietHours: e.QUIET_HOURS,
      gapSeconds: e.PUBLISH_GAP_SECONDS,
      maxPostsPerHour: e.MAX_POSTS_PER_HOUR,
      maxPostsPerDay: e.MAX_POSTS_PER_DAY,
      gatekeeperEnabled: e.GATEKEEPER_ENABLED,
      gatekeeperMinScore: e.GATEKEEPER_MIN_SCORE,
    },
  };
}

/** The secret values of a config, for log and message redaction. */
export function secretsOf(config: Config): string[] {
  return [
    config.telegram.token,
    config.openai.apiKey,
    config.alerts.adminApiToken,
    // A Slack or Discord webhook URL is itself a credential.
    config.alerts.webhookUrl,
    config.alerts.email ? new URL(config.alerts.email.smtpUrl).password || undefined : undefined,
    ...config.x.accounts.flatMap(({ credentials }) => [
      credentials.appKey,
      credentials.appSecret,
      credentials.accessToken,
      credentials.accessSecret,
    ]),
  ].filter((value): value is string => value !== undefined && value.length >= 6);
}

/** Names of every environment variable the configuration reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);
