/**
 * The configuration's cross-field checks (each bad combination fails naming the variable to fix), its
 * transforms, and where every variable lands in the Config: all defaults, then every variable set.
 */
import { describe, expect, it } from "vitest";
import { loadConfig, secretsOf } from "../src/config.js";
import { telegramDownloadLimitBytes } from "../src/config/telegram.js";
import { MINIMAL_ENV, problemsOf, X_CREDENTIALS_ENV } from "./support/config-env.js";

const minimal = MINIMAL_ENV;
const x = X_CREDENTIALS_ENV;


describe("config cross-field checks", () => {
  it.each([
    [{ X_APP_KEY: "k" }, ["X_APP_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_SECRET"], "is required when X_APP_KEY is set (all four X credentials go together)"],
    [{ X_APP_KEY: "k", X_APP_SECRET: "s" }, ["X_ACCESS_TOKEN", "X_ACCESS_SECRET"], "is required when X_APP_KEY, X_APP_SECRET are set"],
    [{ X_ACCESS_SECRET: "s" }, ["X_APP_KEY", "X_APP_SECRET", "X_ACCESS_TOKEN"], "is required when X_ACCESS_SECRET is set"],
  ])("partial X credentials %o name each missing one", (override, missing, message) => {
    const problems = problemsOf({ ...minimal, ...override });
    expect(problems.map((p) => p.split(" ")[0])).toEqual(missing);
    for (const problem of problems) expect(problem).toContain(message);
  });

  it.each([
    [{ X_EXTRA_ACCOUNTS: "second:tok:sec" }, "X_EXTRA_ACCOUNTS needs the X_APP_KEY … X_ACCESS_SECRET of the first account"],
    [{ ...x, X_EXTRA_ACCOUNTS: "main:tok:sec" }, 'X_EXTRA_ACCOUNTS labels must be unique and not "main"'],
    [{ ...x, X_EXTRA_ACCOUNTS: "b:tok:sec,b:tok2:sec2" }, 'X_EXTRA_ACCOUNTS labels must be unique and not "main"'],
    [{ SMTP_URL: "smtp://mail.local" }, "ALERT_EMAIL_TO is required with the other one: e-mail alerts need both SMTP_URL and ALERT_EMAIL_TO"],
    [{ ALERT_EMAIL_TO: "ops@example.org" }, "SMTP_URL is required with the other one"],
    [{ RETRY_BASE_DELAY_MS: "2000", RETRY_MAX_DELAY_MS: "1999" }, "RETRY_MAX_DELAY_MS must be at least RETRY_BASE_DELAY_MS"],
    [{ SCHEDULE_MIN_DELAY_MINUTES: "30", SCHEDULE_MAX_DELAY_MINUTES: "29" }, "SCHEDULE_MAX_DELAY_MINUTES must be at least SCHEDULE_MIN_DELAY_MINUTES"],
    [{ ADMIN_CHAT_ID: "-100" }, "ADMIN_USER_IDS is required when ADMIN_CHAT_ID is a group (negative id)"],
    [{ PUBLISH_GAP_SECONDS: "90-30" }, "PUBLISH_GAP_SECONDS must be a range with min ≤ max"],
    [{ BOT_MODE: "webhook", WEBHOOK_SECRET: "s" }, "WEBHOOK_URL is required when BOT_MODE=webhook (the https URL Telegram posts updates to)"],
    [{ BOT_MODE: "webhook", WEBHOOK_URL: "https://bot.example.com/tg" }, "WEBHOOK_SECRET is required when BOT_MODE=webhook"],
  ])("rejects %o naming the variable", (override, expected) => {
    expect(problemsOf({ ...minimal, ...override })).toEqual([expect.stringContaining(expected)]);
  });

  it.each([
    [{ RETRY_BASE_DELAY_MS: "2000", RETRY_MAX_DELAY_MS: "2000" }],
    [{ SCHEDULE_MIN_DELAY_MINUTES: "30", SCHEDULE_MAX_DELAY_MINUTES: "30" }],
    [{ PUBLISH_GAP_SECONDS: "45-45" }],
    [{ ADMIN_CHAT_ID: "-100", ADMIN_USER_IDS: "7" }],
    [{ WEBHOOK_URL: "https://bot.example.com/tg", WEBHOOK_SECRET: "s" }],
    [{ BOT_MODE: "webhook", WEBHOOK_URL: "https://h/", WEBHOOK_SECRET: "x".repeat(256) }],
    [{ ...x, X_EXTRA_ACCOUNTS: "b:tok:sec,c:tok2:sec2" }],
    [{ SMTP_URL: "smtp://mail.local", ALERT_EMAIL_TO: "ops@localhost" }],
  ])("accepts the boundary %o", (override) => {
    expect(() => loadConfig({ ...minimal, ...override })).not.toThrow();
  });

  it("BOT_MODE=webhook without WEBHOOK_URL and WEBHOOK_SECRET names both", () => {
    expect(problemsOf({ ...minimal, BOT_MODE: "webhook" }).map((p) => p.split(" ")[0])).toEqual(["WEBHOOK_URL", "WEBHOOK_SECRET"]);
  });

  it("webhook mode serves the path of WEBHOOK_URL; polling mode ignores the WEBHOOK_* values", () => {
    const env = { ...minimal, WEBHOOK_URL: " https://bot.example.com/telegram/webhook?x=1 ", WEBHOOK_SECRET: " A-z_09 " };
    expect(loadConfig({ ...env, BOT_MODE: "webhook" }).botMode).toEqual({
      mode: "webhook",
      url: "https://bot.example.com/telegram/webhook?x=1",
      path: "/telegram/webhook",
      secret: "A-z_09",
    });
    expect(loadConfig(env).botMode).toEqual({ mode: "polling" });
    expect(secretsOf(loadConfig({ ...env, BOT_MODE: "webhook" }))).toContain("A-z_09");
  });

  it("reports every problem at once", () => {
    const named = problemsOf({ ...minimal, RETRY_BASE_DELAY_MS: "9", RETRY_MAX_DELAY_MS: "8", SMTP_URL: "smtp://m" }).map((p) => p.split(" ")[0]);
    expect(named.sort()).toEqual(["ALERT_EMAIL_TO", "RETRY_MAX_DELAY_MS"]);
  });
});

describe("config transforms", () => {
  it.each([
    ["12, 0", "ADMIN_USER_IDS must be a comma-separated list of positive Telegram user ids"],
    ["12,-3", "ADMIN_USER_IDS must be a comma-separated list of positive Telegram user ids"],
    ["1.5", "ADMIN_USER_IDS must be a comma-separated list of positive Telegram user ids"],
  ])("ADMIN_USER_IDS=%s is refused", (value, expected) => {
    expect(problemsOf({ ...minimal, ADMIN_USER_IDS: value })).toEqual([expected]);
  });

  it("ADMIN_USER_IDS skips empty entries; without it the admin chat is the admin", () => {
    expect(loadConfig({ ...minimal, ADMIN_USER_IDS: " 7,, 8 ," }).adminUserIds).toEqual([7, 8]);
    expect(loadConfig(minimal).adminUserIds).toEqual([4242]);
  });

  it.each(["a:b", "a:b:c:d", "a b:c:d", "a:b:c,"])("X_EXTRA_ACCOUNTS=%s is refused", (value) => {
    expect(problemsOf({ ...minimal, ...x, X_EXTRA_ACCOUNTS: value })).toEqual([
      "X_EXTRA_ACCOUNTS must be a comma list of label:accessToken:accessSecret",
    ]);
  });

  it.each([
    ["true", true],
    ["1", true],
    ["yes", true],
    ["false", false],
    ["0", false],
    ["no", false],
  ])("GATEKEEPER_ENABLED=%s is %s", (value, expected) => {
    expect(loadConfig({ ...minimal, GATEKEEPER_ENABLED: value }).defaults.gatekeeperEnabled).toBe(expected);
  });

  it("a boolean that is not one of the six words is refused", () => {
    expect(problemsOf({ ...minimal, DISCOVER_MENTIONS: "maybe" })).toEqual(["DISCOVER_MENTIONS must be true or false"]);
  });

  it("PUBLISH_GAP_SECONDS is N or N-M", () => {
    expect(loadConfig({ ...minimal, PUBLISH_GAP_SECONDS: "45" }).defaults.gapSeconds).toEqual({ min: 45, max: 45 });
    expect(loadConfig({ ...minimal, PUBLISH_GAP_SECONDS: "10-20" }).defaults.gapSeconds).toEqual({ min: 10, max: 20 });
    expect(problemsOf({ ...minimal, PUBLISH_GAP_SECONDS: "soon" })).toEqual(["PUBLISH_GAP_SECONDS must be seconds N or a range N-M"]);
  });

  it.each([
    [{}, 20],
    [{ TELEGRAM_API_ROOT: "https://api.telegram.org/" }, 20],
    [{ TELEGRAM_API_ROOT: "http://127.0.0.1:8081" }, 2000],
    [{ TELEGRAM_DOWNLOAD_LIMIT_MB: " 50 " }, 50],
    [{ TELEGRAM_API_ROOT: "http://127.0.0.1:8081", TELEGRAM_DOWNLOAD_LIMIT_MB: "100" }, 100],
    [{ TELEGRAM_DOWNLOAD_LIMIT_MB: "" }, 20],
  ])("the Telegram download limit with %o is %i MB (cloud Bot API 20, a local server 2000)", (env, megabytes) => {
    expect(telegramDownloadLimitBytes(loadConfig({ ...minimal, ...env }).telegram)).toBe(megabytes * 1024 * 1024);
  });

  it("OPENAI_FALLBACK_MODELS is a trimmed list without empty entries", () => {
    expect(loadConfig({ ...minimal, OPENAI_FALLBACK_MODELS: " a, ,b ," }).ai.fallbackModels).toEqual(["a", "b"]);
  });

  it("refuses bad cron expressions, time zones, quiet hours and a zero chat id", () => {
    expect(problemsOf({ ...minimal, PUBLISH_CRON: "every minute" })).toEqual([expect.stringMatching(/^PUBLISH_CRON must be a cron expression/)]);
    expect(problemsOf({ ...minimal, BOT_TIMEZONE: "Mars/Olympus" })).toEqual([expect.stringMatching(/^BOT_TIMEZONE must be an IANA time zone/)]);
    expect(problemsOf({ ...minimal, QUIET_HOURS: "25:00-07:00" })).toEqual([expect.stringMatching(/^QUIET_HOURS must be HH:MM-HH:MM/)]);
    expect(problemsOf({ ...minimal, ADMIN_CHAT_ID: "0" })).toEqual(["ADMIN_CHAT_ID must not be 0"]);
    expect(problemsOf({ ...minimal, HEALTH_DIGEST_CRON: "nope" })).toEqual([expect.stringMatching(/^HEALTH_DIGEST_CRON must be a cron expression, or empty/)]);
    expect(loadConfig({ ...minimal, HEALTH_DIGEST_CRON: "", QUIET_HOURS: "" }).alerts.digestCron).toBe("");
  });
});

describe("value syntax", () => {
  it.each([
    [{ HTTP_PORT: "eighty" }, "HTTP_PORT must be a whole number"],
    [{ HTTP_PORT: "80.5" }, "HTTP_PORT must be a whole number"],
    [{ RETRY_MAX_ATTEMPTS: "0" }, "RETRY_MAX_ATTEMPTS must be at least 1"],
    [{ RETRY_MAX_ATTEMPTS: "11" }, "RETRY_MAX_ATTEMPTS must be at most 10"],
    [{ ADMIN_CHAT_ID: "admins" }, "ADMIN_CHAT_ID must be a Telegram chat id (a whole number, negative for groups)"],
    [{ ADMIN_CHAT_ID: "-1.5" }, "ADMIN_CHAT_ID must be a whole number"],
    [{ TELEGRAM_BOT_TOKEN: "x123456:ABC" }, "TELEGRAM_BOT_TOKEN must look like 123456:ABC-DEF… (the token @BotFather gave you)"],
    [{ TELEGRAM_BOT_TOKEN: "123456:ABC def" }, "TELEGRAM_BOT_TOKEN must look like 123456:ABC-DEF… (the token @BotFather gave you)"],
    [{ DATABASE_URL: "xpostgres://h/db" }, "DATABASE_URL must be a postgres:// or postgresql:// URL"],
    [{ SMTP_URL: "xsmtp://h", ALERT_EMAIL_TO: "a@b" }, "SMTP_URL must be an smtp:// or smtps:// URL"],
    [{ SMTP_URL: "smtp://h", ALERT_EMAIL_TO: "ops@localhost and more" }, "ALERT_EMAIL_TO must be an e-mail address"],
    [{ SMTP_URL: "smtp://h", ALERT_EMAIL_TO: "@localhost" }, "ALERT_EMAIL_TO must be an e-mail address"],
    [{ ALERT_EMAIL_FROM: "bot at localhost" }, "ALERT_EMAIL_FROM must be an e-mail address"],
    [{ ALERT_WEBHOOK_URL: "not a url" }, "ALERT_WEBHOOK_URL must be an http(s) URL"],
    [{ ADMIN_API_TOKEN: "short" }, "ADMIN_API_TOKEN must be at least 16 characters"],
    [{ METRICS_TOKEN: "short" }, "METRICS_TOKEN must be at least 16 characters"],
    [{ DASHBOARD_TOKEN: "short" }, "DASHBOARD_TOKEN must be at least 16 characters"],
    [{ MIN_ALERT_LEVEL: "loud" }, "MIN_ALERT_LEVEL must be debug, info, warning, error or critical"],
    [{ REPLY_POLICY: "always" }, "REPLY_POLICY must be summoned or any"],
    [{ ACCOUNT_STRATEGY: "random" }, "ACCOUNT_STRATEGY must be round_robin or least_loaded"],
    [{ GATEKEEPER_MIN_SCORE: "high" }, "GATEKEEPER_MIN_SCORE must be a number from 0 to 1"],
    [{ GATEKEEPER_MIN_SCORE: "1.5" }, "GATEKEEPER_MIN_SCORE must be at most 1"],
    [{ GATEKEEPER_MIN_SCORE: "-0.5" }, "GATEKEEPER_MIN_SCORE must be at least 0"],
    [{ DLQ_BACKOFF_MULTIPLIER: "fast" }, "DLQ_BACKOFF_MULTIPLIER must be a number"],
    [{ DLQ_BACKOFF_MULTIPLIER: "0.5" }, "DLQ_BACKOFF_MULTIPLIER must be at least 1"],
    [{ DLQ_BACKOFF_MULTIPLIER: "11" }, "DLQ_BACKOFF_MULTIPLIER must be at most 10"],
    [{ DISCOVERY_CRON: "often" }, "DISCOVERY_CRON must be a cron expression (5 fields, or 6 with seconds first)"],
    [{ OPENAI_BASE_URL: "nowhere" }, "OPENAI_BASE_URL must be a URL like https://host/path"],
    [{ TELEGRAM_DOWNLOAD_LIMIT_MB: "0" }, "TELEGRAM_DOWNLOAD_LIMIT_MB must be at least 1"],
    [{ BOT_MODE: "webhooks" }, "BOT_MODE must be polling or webhook"],
    [{ WEBHOOK_URL: "http://bot.example.com/tg" }, "WEBHOOK_URL must be an https URL like https://bot.example.com/telegram/webhook"],
    [{ WEBHOOK_URL: "bot.example.com/tg" }, "WEBHOOK_URL must be an https URL like https://bot.example.com/telegram/webhook"],
    [{ WEBHOOK_SECRET: "has space" }, "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"],
    [{ WEBHOOK_SECRET: "dot.ted" }, "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"],
    [{ WEBHOOK_SECRET: "x".repeat(257) }, "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"],
    [{ TELEGRAM_DOWNLOAD_LIMIT_MB: "20.5" }, "TELEGRAM_DOWNLOAD_LIMIT_MB must be a whole number"],
    [{ TELEGRAM_DOWNLOAD_LIMIT_MB: "lots" }, "TELEGRAM_DOWNLOAD_LIMIT_MB must be a whole number"],
  ])("%o → %s", (override, expected) => {
    expect(problemsOf({ ...minimal, ...override })).toEqual([expected]);
  });

  it("postgresql:// is a database URL too; values are trimmed; trailing slashes leave URLs", () => {
    const config = loadConfig({
      ...minimal,
      DATABASE_URL: " postgresql://h/db ",
      DATA_DIR: " /srv/data ",
      HTTP_HOST: " 0.0.0.0 ",
      OPENAI_API_KEY: " sk-test-123456 ",
      OPENAI_MODEL: " model-a ",
      OPENAI_BASE_URL: " http://127.0.0.1:2/v1// ",
      BOT_TIMEZONE: " Europe/Berlin ",
      PUBLISH_CRON: " 5 * * * * * ",
      ALERT_EMAIL_FROM: " bot@localhost ",
      SMTP_URL: " smtps://h ",
      ALERT_EMAIL_TO: " ops@localhost ",
      ADMIN_API_TOKEN: " 0123456789abcdef ",
      QUIET_HOURS: " 22:00-06:00 ",
      PUBLISH_GAP_SECONDS: " 5-6 ",
      HEALTH_DIGEST_CRON: " 0 0 8 * * * ",
      ...x,
      X_APP_KEY: " app-key ",
    });
    expect(config.database).toEqual({ url: "postgresql://h/db", dataDir: "/srv/data", leaderTakeoverSeconds: 10 });
    expect(config.http.host).toBe("0.0.0.0");
    expect(config.openai).toEqual({ apiKey: "sk-test-123456", model: "model-a", baseUrl: "http://127.0.0.1:2/v1" });
    expect(config.timeZone).toBe("Europe/Berlin");
    expect(config.publishCron).toBe("5 * * * * *");
    expect(config.alerts.email).toEqual({ smtpUrl: "smtps://h", to: "ops@localhost", from: "bot@localhost" });
    expect(config.alerts.adminApiToken).toBe("0123456789abcdef");
    expect(config.alerts.digestCron).toBe("0 0 8 * * *");
    expect(config.defaults.quietHours).toBe("22:00-06:00");
    expect(config.defaults.gapSeconds).toEqual({ min: 5, max: 6 });
    expect(config.x.accounts[0]?.credentials.appKey).toBe("app-key");
  });
});

describe("where each variable lands", () => {
  it("nothing set but the two required values: every default", () => {
    expect(loadConfig(minimal)).toEqual({
      "telegram": {
        "token": "123456:ABC-def_ghi",
        "apiRoot": "https://api.telegram.org",
        "pollTimeoutSeconds": 30
      },
      "botMode": { "mode": "polling" },
      "adminChatId": 4242,
      "adminUserIds": [
        4242
      ],
      "anonymousAdmins": false,
      "database": {
        "dataDir": "./data",
        "leaderTakeoverSeconds": 10
      },
      "http": {
        "host": "127.0.0.1",
        "port": 8080
      },
      "logLevel": "info",
      "openai": {
        "baseUrl": "https://api.openai.com/v1",
        "model": "gpt-4o-mini"
      },
      "x": {
        "apiRoot": "https://api.x.com",
        "accountStrategy": "round_robin",
        "accounts": []
      },
      "xOAuth2": {
        "missing": ["X_CLIENT_ID", "PUBLIC_URL"]
      },
      "sessions": {
        "health": {
          "failAfterSeconds": 600,
          "intervalSeconds": 60
        },
        "preserveOnShutdown": true,
        "recovery": {
          "enabled": true,
          "maxRetries": 3,
          "retryDelayMs": 5000,
          "startupDelayMs": 5000,
          "timeoutMs": 30000
        }
      },
      "gracefulShutdownTimeoutMs": 10000,
      "ai": {
        "fallbackModels": [],
        "maxShortenAttempts": 2,
        "maxTokens": 400
      },
      "replyGuard": {
        "allowNewLinks": false,
        "allowNewMentions": false
      },
      "discovery": {
        "cron": "0 */5 * * * *",
        "mentions": true
      },
      "publishCron": "*/10 * * * * *",
      "replyPolicy": "summoned",
      "draftTtlHours": 24,
      "drafting": {
        "maxAttempts": 3,
        "maxPerAuthorPerDay": 3,
        "maxPerDay": 200
      },
      "publishLeaseSeconds": 120,
      "publishConcurrency": 1,
      "publishRetryBaseSeconds": 30,
      "timeZone": "UTC",
      "resilience": {
        "xRequestTimeoutMs": 15000,
        "aiRequestTimeoutMs": 20000,
        "maxAttempts": 3,
        "baseDelayMs": 1000,
        "maxDelayMs": 10000,
        "breakers": {
          "x": {
            "threshold": 5,
            "halfOpenSeconds": 120
          },
          "ai": {
            "threshold": 3,
            "halfOpenSeconds": 60
          },
          "db": {
            "threshold": 3,
            "halfOpenSeconds": 30
          }
        }
      },
      "alerts": {
        "minLevel": "warning",
        "dedupWindowSeconds": 300,
        "cron": "*/5 * * * * *",
        "digestCron": "0 0 9 * * *"
      },
      "deadLetters": {
        "cron": "15 * * * * *",
        "baseDelaySeconds": 60,
        "backoffMultiplier": 2,
        "maxRetries": 5
      },
      "defaults": {
        "persona": "You are a friendly, knowledgeable person replying on X. Be helpful and specific, add something of value, keep a light touch.",
        "minDelayMinutes": 15,
        "maxDelayMinutes": 120,
        "jitterSeconds": 300,
        "quietHours": "00:00-07:00",
        "gapSeconds": {
          "min": 30,
          "max": 90
        },
        "maxPostsPerHour": 15,
        "maxPostsPerDay": 50,
        "gatekeeperEnabled": false,
        "gatekeeperMinScore": 0.5
      }
    });
  });

  it("every variable set to a non-default value", () => {
    const config = loadConfig({
      ...minimal,
      ...x,
      ADMIN_CHAT_ID: "-100",
      ADMIN_USER_IDS: "7,8",
      ANONYMOUS_ADMINS: "true",
      TELEGRAM_API_ROOT: "http://127.0.0.1:1/",
      TELEGRAM_POLL_TIMEOUT_SECONDS: "0",
      TELEGRAM_DOWNLOAD_LIMIT_MB: "50",
      BOT_MODE: "webhook",
      WEBHOOK_URL: "https://bot.example.com/telegram/webhook",
      WEBHOOK_SECRET: "webhook-secret_1",
      DATABASE_URL: "postgres://u:p@127.0.0.1/db",
      DATA_DIR: "/var/lib/rgb",
      LEADER_TAKEOVER_SECONDS: "25",
      HTTP_HOST: "0.0.0.0",
      HTTP_PORT: "9090",
      METRICS_TOKEN: "metrics-token-0123456789",
      DASHBOARD_TOKEN: "dashboard-token-0123456789",
      LOG_LEVEL: "debug",
      OPENAI_API_KEY: "sk-test-abcdef",
      OPENAI_BASE_URL: "http://127.0.0.1:2/v1",
      OPENAI_MODEL: "model-a",
      OPENAI_FALLBACK_MODELS: "model-b",
      X_API_ROOT: "http://127.0.0.1:3",
      X_EXTRA_ACCOUNTS: "second:tok-2:sec-2",
      ACCOUNT_STRATEGY: "least_loaded",
      X_CLIENT_ID: "client-1",
      X_CLIENT_SECRET: "client-secret-1",
      PUBLIC_URL: "https://bot.example.com/",
      X_OAUTH_AUTHORIZE_URL: "http://127.0.0.1:4/authorize",
      ENCRYPTION_KEY: "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
      ENCRYPTION_KEY_PREVIOUS: "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
      SESSION_RECOVERY_ENABLED: "false",
      SESSION_RECOVERY_STARTUP_DELAY: "1",
      SESSION_RECOVERY_TIMEOUT: "2000",
      SESSION_RECOVERY_MAX_RETRIES: "5",
      SESSION_RECOVERY_RETRY_DELAY: "6",
      SESSION_PRESERVE_ON_SHUTDOWN: "false",
      ACCOUNT_HEALTH_INTERVAL_SECONDS: "30",
      ACCOUNT_FAIL_AFTER_SECONDS: "90",
      GRACEFUL_SHUTDOWN_TIMEOUT_MS: "2000",
      PERSONA: "terse",
      MAX_SHORTEN_ATTEMPTS: "1",
      AI_MAX_TOKENS: "300",
      REPLY_ALLOW_LINKS: "true",
      REPLY_ALLOW_MENTIONS: "yes",
      DISCOVERY_CRON: "0 * * * * *",
      PUBLISH_CRON: "5 * * * * *",
      DISCOVER_MENTIONS: "false",
      GATEKEEPER_ENABLED: "true",
      GATEKEEPER_MIN_SCORE: "0.7",
      REPLY_POLICY: "any",
      DRAFT_TTL_HOURS: "2",
      DRAFT_MAX_ATTEMPTS: "5",
      MAX_DRAFTS_PER_AUTHOR_PER_DAY: "6",
      MAX_DRAFTS_PER_DAY: "70",
      SCHEDULE_MIN_DELAY_MINUTES: "1",
      SCHEDULE_MAX_DELAY_MINUTES: "2",
      SCHEDULE_JITTER_SECONDS: "3",
      QUIET_HOURS: "22:00-06:00",
      BOT_TIMEZONE: "Europe/Berlin",
      PUBLISH_LEASE_SECONDS: "60",
      PUBLISH_CONCURRENCY: "4",
      PUBLISH_RETRY_BASE_SECONDS: "5",
      PUBLISH_GAP_SECONDS: "5-6",
      X_REQUEST_TIMEOUT_MS: "1000",
      AI_REQUEST_TIMEOUT_MS: "2000",
      X_BREAKER_THRESHOLD: "7",
      X_BREAKER_HALF_OPEN_SECONDS: "8",
      AI_BREAKER_THRESHOLD: "9",
      AI_BREAKER_HALF_OPEN_SECONDS: "10",
      DB_BREAKER_THRESHOLD: "11",
      DB_BREAKER_HALF_OPEN_SECONDS: "12",
      RETRY_MAX_ATTEMPTS: "4",
      RETRY_BASE_DELAY_MS: "100",
      RETRY_MAX_DELAY_MS: "200",
      DLQ_CRON: "30 * * * * *",
      DLQ_BASE_DELAY_SECONDS: "7",
      DLQ_BACKOFF_MULTIPLIER: "1.5",
      DLQ_MAX_RETRIES: "2",
      MIN_ALERT_LEVEL: "error",
      ALERT_DEDUP_WINDOW_SECONDS: "0",
      ALERT_CRON: "*/7 * * * * *",
      ALERT_WEBHOOK_URL: "http://127.0.0.1:4/hook",
      SMTP_URL: "smtp://user:mail-pass@127.0.0.1:25",
      ALERT_EMAIL_TO: "ops@localhost",
      ALERT_EMAIL_FROM: "bot@localhost",
      ADMIN_API_TOKEN: "0123456789abcdef",
      HEALTH_DIGEST_CRON: "0 0 8 * * *",
      MAX_POSTS_PER_HOUR: "3",
      MAX_POSTS_PER_DAY: "4",
    });
    expect(config).toEqual({
      telegram: { token: "123456:ABC-def_ghi", apiRoot: "http://127.0.0.1:1", pollTimeoutSeconds: 0, downloadLimitMb: 50 },
      botMode: { mode: "webhook", url: "https://bot.example.com/telegram/webhook", path: "/telegram/webhook", secret: "webhook-secret_1" },
      adminChatId: -100,
      adminUserIds: [7, 8],
      anonymousAdmins: true,
      database: { url: "postgres://u:p@127.0.0.1/db", dataDir: "/var/lib/rgb", leaderTakeoverSeconds: 25 },
      http: { host: "0.0.0.0", port: 9090, metricsToken: "metrics-token-0123456789", dashboardToken: "dashboard-token-0123456789" },
      logLevel: "debug",
      openai: { apiKey: "sk-test-abcdef", baseUrl: "http://127.0.0.1:2/v1", model: "model-a" },
      x: {
        apiRoot: "http://127.0.0.1:3",
        accountStrategy: "least_loaded",
        accounts: [
          { label: "main", credentials: { appKey: "app-key", appSecret: "app-secret", accessToken: "access-token", accessSecret: "access-secret" } },
          { label: "second", credentials: { appKey: "app-key", appSecret: "app-secret", accessToken: "tok-2", accessSecret: "sec-2" } },
        ],
      },
      xOAuth2: {
        clientSecret: "client-secret-1",
        client: {
          clientId: "client-1",
          clientSecret: "client-secret-1",
          redirectUri: "https://bot.example.com/oauth/x/callback",
          authorizeUrl: "http://127.0.0.1:4/authorize",
        },
        missing: [],
      },
      sessions: {
        encryptionKey: "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        previousEncryptionKey: "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
        recovery: { enabled: false, startupDelayMs: 1, timeoutMs: 2000, maxRetries: 5, retryDelayMs: 6 },
        preserveOnShutdown: false,
        health: { intervalSeconds: 30, failAfterSeconds: 90 },
      },
      gracefulShutdownTimeoutMs: 2000,
      ai: { fallbackModels: ["model-b"], maxShortenAttempts: 1, maxTokens: 300 },
      replyGuard: { allowNewLinks: true, allowNewMentions: true },
      discovery: { cron: "0 * * * * *", mentions: false },
      publishCron: "5 * * * * *",
      replyPolicy: "any",
      draftTtlHours: 2,
      drafting: { maxAttempts: 5, maxPerAuthorPerDay: 6, maxPerDay: 70 },
      publishLeaseSeconds: 60,
      publishConcurrency: 4,
      publishRetryBaseSeconds: 5,
      timeZone: "Europe/Berlin",
      resilience: {
        xRequestTimeoutMs: 1000,
        aiRequestTimeoutMs: 2000,
        maxAttempts: 4,
        baseDelayMs: 100,
        maxDelayMs: 200,
        breakers: { x: { threshold: 7, halfOpenSeconds: 8 }, ai: { threshold: 9, halfOpenSeconds: 10 }, db: { threshold: 11, halfOpenSeconds: 12 } },
      },
      alerts: {
        minLevel: "error",
        dedupWindowSeconds: 0,
        cron: "*/7 * * * * *",
        webhookUrl: "http://127.0.0.1:4/hook",
        email: { smtpUrl: "smtp://user:mail-pass@127.0.0.1:25", to: "ops@localhost", from: "bot@localhost" },
        adminApiToken: "0123456789abcdef",
        digestCron: "0 0 8 * * *",
      },
      deadLetters: { cron: "30 * * * * *", baseDelaySeconds: 7, backoffMultiplier: 1.5, maxRetries: 2 },
      defaults: {
        persona: "terse",
        minDelayMinutes: 1,
        maxDelayMinutes: 2,
        jitterSeconds: 3,
        quietHours: "22:00-06:00",
        gapSeconds: { min: 5, max: 6 },
        maxPostsPerHour: 3,
        maxPostsPerDay: 4,
        gatekeeperEnabled: true,
        gatekeeperMinScore: 0.7,
      },
    });
  });
});
