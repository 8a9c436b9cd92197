import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { CONFIG_VARIABLES, ConfigError, loadConfig, secretsOf } from "../src/config.js";
import { MINIMAL_ENV, problemsOf } from "./support/config-env.js";

const minimal = MINIMAL_ENV;


describe("config", () => {
  it("applies every documented default", () => {
    const config = loadConfig(minimal);
    expect(config.telegram.apiRoot).toBe("https://api.telegram.org");
    expect(config.adminUserIds).toEqual([4242]);
    expect(config.database).toEqual({ url: undefined, dataDir: "./data", leaderTakeoverSeconds: 10 });
    expect(config.http).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(config.logLevel).toBe("info");
    expect(config.openai.baseUrl).toBe("https://api.openai.com/v1");
    expect(config.x.apiRoot).toBe("https://api.x.com");
    expect(config.x.accounts).toEqual([]);
    expect(config.gracefulShutdownTimeoutMs).toBe(10_000);
  });

  it("names a missing token and a missing admin chat", () => {
    expect(problemsOf({})).toEqual(["TELEGRAM_BOT_TOKEN is required (the token @BotFather gave you)", "ADMIN_CHAT_ID is required"]);
  });

  it("treats empty values as unset", () => {
    const config = loadConfig({ ...minimal, DATABASE_URL: "", HTTP_PORT: " ", OPENAI_API_KEY: "" });
    expect(config.database.url).toBeUndefined();
    expect(config.http.port).toBe(8080);
    expect(config.openai.apiKey).toBeUndefined();
  });

  it.each([
    [{ TELEGRAM_BOT_TOKEN: "not-a-token" }, "TELEGRAM_BOT_TOKEN must look like"],
    [{ ADMIN_CHAT_ID: "admins" }, "ADMIN_CHAT_ID must be a Telegram chat id"],
    [{ ADMIN_USER_IDS: "12,abc" }, "ADMIN_USER_IDS must be a comma-separated list"],
    [{ HTTP_PORT: "70000" }, "HTTP_PORT must be at most 65535"],
    [{ HTTP_PORT: "80.5" }, "HTTP_PORT must be a whole number"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL must be a postgres://"],
    [{ OPENAI_BASE_URL: "not a url" }, "OPENAI_BASE_URL must be a URL"],
    [{ TELEGRAM_API_ROOT: "nope" }, "TELEGRAM_API_ROOT must be a URL"],
    [{ GRACEFUL_SHUTDOWN_TIMEOUT_MS: "5" }, "GRACEFUL_SHUTDOWN_TIMEOUT_MS must be at least 100"],
    [{ LEADER_TAKEOVER_SECONDS: "0" }, "LEADER_TAKEOVER_SECONDS must be at least 1"],
    [{ LEADER_TAKEOVER_SECONDS: "soon" }, "LEADER_TAKEOVER_SECONDS must be a whole number"],
  ])("rejects %o with a message naming the variable", (override, expected) => {
    const problems = problemsOf({ ...minimal, ...override });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it("requires ADMIN_USER_IDS when the admin chat is a group", () => {
    expect(problemsOf({ ...minimal, ADMIN_CHAT_ID: "-1001234" })).toEqual([
      expect.stringContaining("ADMIN_USER_IDS is required when ADMIN_CHAT_ID is a group"),
    ]);
    const config = loadConfig({ ...minimal, ADMIN_CHAT_ID: "-1001234", ADMIN_USER_IDS: "7, 8" });
    expect(config.adminUserIds).toEqual([7, 8]);
  });

  it("wants all four X credentials or none", () => {
    const problems = problemsOf({ ...minimal, X_APP_KEY: "k", X_ACCESS_TOKEN: "t" });
    expect(problems.map((p) => p.split(" ")[0])).toEqual(["X_APP_SECRET", "X_ACCESS_SECRET"]);
    const config = loadConfig({
      ...minimal,
      X_APP_KEY: "app-key",
      X_APP_SECRET: "app-secret",
      X_ACCESS_TOKEN: "access-token",
      X_ACCESS_SECRET: "access-secret",
    });
    expect(config.x.accounts.map((a) => [a.label, a.credentials.accessToken])).toEqual([["main", "access-token"]]);
    const two = loadConfig({
      ...minimal,
      X_APP_KEY: "app-key",
      X_APP_SECRET: "app-secret",
      X_ACCESS_TOKEN: "access-token",
      X_ACCESS_SECRET: "access-secret",
      X_EXTRA_ACCOUNTS: "second:tok-2:secret-2",
    });
    expect(two.x.accounts[1]).toEqual({
      label: "second",
      credentials: { appKey: "app-key", appSecret: "app-secret", accessToken: "tok-2", accessSecret: "secret-2" },
    });
    expect(secretsOf(two)).toContain("secret-2");
    expect(problemsOf({ ...minimal, X_EXTRA_ACCOUNTS: "a:b" })).toEqual([
      expect.stringContaining("X_EXTRA_ACCOUNTS must be a comma list of label:accessToken:accessSecret"),
    ]);
  });

  it("strips trailing slashes from API roots", () => {
    expect(loadConfig({ ...minimal, X_API_ROOT: "http://127.0.0.1:9/" }).x.apiRoot).toBe("http://127.0.0.1:9");
  });

  it("lists the secrets to redact", () => {
    const config = loadConfig({ ...minimal, OPENAI_API_KEY: "sk-test-123456" });
    expect(secretsOf(config)).toEqual(["123456:ABC-def_ghi", "sk-test-123456"]);
    const key = Buffer.alloc(32, 9).toString("base64");
    expect(secretsOf(loadConfig({ ...minimal, ENCRYPTION_KEY: key }))).toContain(key);
  });
});

describe("config errors and enumerations", () => {
  it("say what is wrong as one line per problem under a heading, as the process prints it before exiting", () => {
    const error = new ConfigError(["TELEGRAM_BOT_TOKEN is required", "HTTP_PORT must be a whole number"]);
    expect(error.name).toBe("ConfigError");
    expect(error.message).toBe("Invalid configuration:\n  - TELEGRAM_BOT_TOKEN is required\n  - HTTP_PORT must be a whole number");
  });

  it.each([
    ["LOG_LEVEL", ["fatal", "error", "warn", "info", "debug", "trace", "silent"], (c: ReturnType<typeof loadConfig>) => c.logLevel],
    ["MIN_ALERT_LEVEL", ["debug", "info", "warning", "error", "critical"], (c: ReturnType<typeof loadConfig>) => c.alerts.minLevel],
  ] as const)("accept every documented %s", (name, values, read) => {
    for (const value of values) expect(read(loadConfig({ ...minimal, [name]: value }))).toBe(value);
  });

  it.each([
    ["MIN_ALERT_LEVEL", "loud", "MIN_ALERT_LEVEL must be debug, info, warning, error or critical"],
    ["BOT_MODE", "push", "BOT_MODE must be polling or webhook"],
    ["TELEGRAM_DOWNLOAD_LIMIT_MB", "1.5", "TELEGRAM_DOWNLOAD_LIMIT_MB must be a whole number"],
  ])("name a bad %s with what it may be", (name, value, problem) => {
    expect(problemsOf({ ...minimal, [name]: value })).toEqual([problem]);
  });
});

describe(".env.example", () => {
  it("documents every variable the config reads", () => {
    const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
    for (const name of CONFIG_VARIABLES) {
      expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, "m"));
    }
  });

  it("parses as a valid configuration once the two required values are filled in", () => {
    const env = parseEnv(readFileSync(new URL("../.env.example", import.meta.url), "utf8"));
    expect(() => loadConfig({ ...env, ...minimal })).not.toThrow();
  });
});
