import { describe, expect, it } from "vitest";
import { loadConfig, secretsOf } from "../src/config.js";
import { MINIMAL_ENV, problemsOf, X_CREDENTIALS_ENV } from "./support/config-env.js";

const minimal = MINIMAL_ENV;
const credentials = X_CREDENTIALS_ENV;


describe("checks between the variables of a group", () => {
  it("want the four X credentials together, naming those set", () => {
    expect(problemsOf({ ...minimal, X_ACCESS_SECRET: "s" })).toEqual([
      "X_APP_KEY is required when X_ACCESS_SECRET is set (all four X credentials go together)",
      "X_APP_SECRET is required when X_ACCESS_SECRET is set (all four X credentials go together)",
      "X_ACCESS_TOKEN is required when X_ACCESS_SECRET is set (all four X credentials go together)",
    ]);
    const { X_APP_KEY: _left, ...three } = credentials;
    expect(problemsOf({ ...minimal, ...three })).toEqual([
      "X_APP_KEY is required when X_APP_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET are set (all four X credentials go together)",
    ]);
  });

  it("want the first X account before extra ones, with labels unique and not main", () => {
    expect(problemsOf({ ...minimal, X_EXTRA_ACCOUNTS: "second:t:s" })).toEqual([
      "X_EXTRA_ACCOUNTS needs the X_APP_KEY … X_ACCESS_SECRET of the first account",
    ]);
    const unique = 'X_EXTRA_ACCOUNTS labels must be unique and not "main"';
    expect(problemsOf({ ...minimal, ...credentials, X_EXTRA_ACCOUNTS: "main:t:s" })).toEqual([unique]);
    expect(problemsOf({ ...minimal, ...credentials, X_EXTRA_ACCOUNTS: "b:t:s,b:u:v" })).toEqual([unique]);
    const config = loadConfig({ ...minimal, ...credentials, X_EXTRA_ACCOUNTS: "b:t:s, c:u:v" });
    expect(config.x.accounts.map((account) => account.label)).toEqual(["main", "b", "c"]);
    expect(config.x.accounts[2]!.credentials).toEqual({ appKey: "app-key", appSecret: "app-secret", accessToken: "u", accessSecret: "v" });
  });

  it("read the OAuth 2.0 client: the callback URL from PUBLIC_URL, what connecting still needs, bad values by name", () => {
    expect(loadConfig(minimal).xOAuth2.missing).toEqual(["X_CLIENT_ID", "PUBLIC_URL"]);
    expect(loadConfig({ ...minimal, X_CLIENT_ID: "cid" }).xOAuth2).toMatchObject({ client: undefined, missing: ["PUBLIC_URL"] });
    const config = loadConfig({ ...minimal, X_CLIENT_ID: "cid", X_CLIENT_SECRET: "client-secret-1234", PUBLIC_URL: "https://bot.example/" });
    expect(config.xOAuth2.client).toEqual({
      clientId: "cid",
      clientSecret: "client-secret-1234",
      redirectUri: "https://bot.example/oauth/x/callback",
      authorizeUrl: "https://x.com/i/oauth2/authorize",
    });
    expect(config.xOAuth2.missing).toEqual([]);
    expect(secretsOf(config)).toContain("client-secret-1234");
    expect(problemsOf({ ...minimal, X_CLIENT_SECRET: "s", PUBLIC_URL: "bot.example" })).toEqual([
      "PUBLIC_URL must be an http(s) URL like https://bot.example.com",
      "X_CLIENT_ID is required with X_CLIENT_SECRET (the OAuth 2.0 client it belongs to)",
    ]);
  });

  it("want ENCRYPTION_KEY with ENCRYPTION_KEY_PREVIOUS, both 32 bytes in base64", () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const length = "must be 32 bytes in base64 (make one with: openssl rand -base64 32)";
    expect(problemsOf({ ...minimal, ENCRYPTION_KEY: Buffer.alloc(16, 7).toString("base64") })).toEqual([`ENCRYPTION_KEY ${length}`]);
    expect(problemsOf({ ...minimal, ENCRYPTION_KEY: key, ENCRYPTION_KEY_PREVIOUS: "not base64!" })).toEqual([`ENCRYPTION_KEY_PREVIOUS ${length}`]);
    expect(problemsOf({ ...minimal, ENCRYPTION_KEY_PREVIOUS: key })).toEqual([
      "ENCRYPTION_KEY is required with ENCRYPTION_KEY_PREVIOUS (the key it rotates to)",
    ]);
    const config = loadConfig({ ...minimal, ENCRYPTION_KEY: key, ENCRYPTION_KEY_PREVIOUS: Buffer.alloc(32, 8).toString("base64") });
    expect(config.sessions.encryptionKey).toBe(key);
  });

  it("read the session recovery and preservation settings, refusing bad values by name", () => {
    const config = loadConfig({
      ...minimal,
      SESSION_RECOVERY_ENABLED: "false",
      SESSION_RECOVERY_STARTUP_DELAY: "0",
      SESSION_RECOVERY_TIMEOUT: "1500",
      SESSION_RECOVERY_MAX_RETRIES: "0",
      SESSION_RECOVERY_RETRY_DELAY: "10",
      SESSION_PRESERVE_ON_SHUTDOWN: "no",
    });
    expect(config.sessions.recovery).toEqual({ enabled: false, startupDelayMs: 0, timeoutMs: 1500, maxRetries: 0, retryDelayMs: 10 });
    expect(config.sessions.preserveOnShutdown).toBe(false);
    expect(loadConfig(minimal).sessions.health).toEqual({ intervalSeconds: 60, failAfterSeconds: 600 });
    expect(loadConfig({ ...minimal, ACCOUNT_HEALTH_INTERVAL_SECONDS: "30", ACCOUNT_FAIL_AFTER_SECONDS: "120" }).sessions.health).toEqual({
      intervalSeconds: 30,
      failAfterSeconds: 120,
    });
    expect(problemsOf({ ...minimal, ACCOUNT_HEALTH_INTERVAL_SECONDS: "1", ACCOUNT_FAIL_AFTER_SECONDS: "soon" })).toEqual([
      "ACCOUNT_HEALTH_INTERVAL_SECONDS must be at least 5",
      "ACCOUNT_FAIL_AFTER_SECONDS must be a whole number",
    ]);
    expect(problemsOf({ ...minimal, SESSION_RECOVERY_TIMEOUT: "50", SESSION_RECOVERY_ENABLED: "maybe" })).toEqual([
      "SESSION_RECOVERY_ENABLED must be true or false",
      "SESSION_RECOVERY_TIMEOUT must be at least 100",
    ]);
  });

  it("want SMTP_URL and ALERT_EMAIL_TO together", () => {
    const both = "is required with the other one: e-mail alerts need both SMTP_URL and ALERT_EMAIL_TO";
    expect(problemsOf({ ...minimal, SMTP_URL: "smtp://mail.test" })).toEqual([`ALERT_EMAIL_TO ${both}`]);
    expect(problemsOf({ ...minimal, ALERT_EMAIL_TO: "ops@test" })).toEqual([`SMTP_URL ${both}`]);
    const config = loadConfig({ ...minimal, SMTP_URL: "smtp://mail.test", ALERT_EMAIL_TO: "ops@test" });
    expect(config.alerts.email).toEqual({ smtpUrl: "smtp://mail.test", to: "ops@test", from: "reply-guy-bot@localhost" });
  });

  it("want the retry delay cap at least its base", () => {
    expect(problemsOf({ ...minimal, RETRY_BASE_DELAY_MS: "2001", RETRY_MAX_DELAY_MS: "2000" })).toEqual([
      "RETRY_MAX_DELAY_MS must be at least RETRY_BASE_DELAY_MS",
    ]);
    expect(loadConfig({ ...minimal, RETRY_BASE_DELAY_MS: "2000", RETRY_MAX_DELAY_MS: "2000" }).resilience.maxDelayMs).toBe(2000);
  });

  it("want the longest schedule delay at least the shortest", () => {
    expect(problemsOf({ ...minimal, SCHEDULE_MIN_DELAY_MINUTES: "31", SCHEDULE_MAX_DELAY_MINUTES: "30" })).toEqual([
      "SCHEDULE_MAX_DELAY_MINUTES must be at least SCHEDULE_MIN_DELAY_MINUTES",
    ]);
    const config = loadConfig({ ...minimal, SCHEDULE_MIN_DELAY_MINUTES: "30", SCHEDULE_MAX_DELAY_MINUTES: "30" });
    expect([config.defaults.minDelayMinutes, config.defaults.maxDelayMinutes]).toEqual([30, 30]);
  });

  it("want the admins listed when the admin chat is a group, and default them to the chat otherwise", () => {
    expect(problemsOf({ ...minimal, ADMIN_CHAT_ID: "-1" })).toEqual([
      "ADMIN_USER_IDS is required when ADMIN_CHAT_ID is a group (negative id): list the admins' user ids",
    ]);
    expect(loadConfig({ ...minimal, ADMIN_CHAT_ID: "1" }).adminUserIds).toEqual([1]);
  });

  it("run only once the group's own variables parse", () => {
    expect(problemsOf({ ...minimal, RETRY_BASE_DELAY_MS: "lots", RETRY_MAX_DELAY_MS: "1" })).toEqual([
      "RETRY_BASE_DELAY_MS must be a whole number",
    ]);
  });
});

describe("problems of several groups", () => {
  it("are reported together, in group order, each naming its variable", () => {
    expect(problemsOf({ ADMIN_CHAT_ID: "-100", HTTP_PORT: "http", RETRY_BASE_DELAY_MS: "5000", RETRY_MAX_DELAY_MS: "100" })).toEqual([
      "TELEGRAM_BOT_TOKEN is required (the token @BotFather gave you)",
      "ADMIN_USER_IDS is required when ADMIN_CHAT_ID is a group (negative id): list the admins' user ids",
      "HTTP_PORT must be a whole number",
      "RETRY_MAX_DELAY_MS must be at least RETRY_BASE_DELAY_MS",
    ]);
  });
});
