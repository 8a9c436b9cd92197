/** The secret values of a config (what logs and messages mask), and the schema of one variable on its own. */
import { describe, expect, it } from "vitest";
import { loadConfig, secretsOf, variableSchema } from "../src/config.js";
import { MINIMAL_ENV, X_CREDENTIALS_ENV } from "./support/config-env.js";

const minimal = MINIMAL_ENV;

describe("secretsOf", () => {
  it("lists every secret the config holds, once each, in a fixed order", () => {
    const key = Buffer.alloc(32, 1).toString("base64");
    const previous = Buffer.alloc(32, 2).toString("base64");
    const config = loadConfig({
      ...minimal,
      ...X_CREDENTIALS_ENV,
      BOT_MODE: "webhook",
      WEBHOOK_URL: "https://bot.example/tg",
      WEBHOOK_SECRET: "webhook-secret",
      OPENAI_API_KEY: "sk-openai-key",
      ADMIN_API_TOKEN: "admin-api-token-0123",
      METRICS_TOKEN: "metrics-token-01234",
      DASHBOARD_TOKEN: "dashboard-token-0123",
      ALERT_WEBHOOK_URL: "https://hooks.example/T/B/xyz",
      ENCRYPTION_KEY: key,
      X_CLIENT_ID: "client-id",
      X_CLIENT_SECRET: "client-secret",
      ENCRYPTION_KEY_PREVIOUS: previous,
      DATABASE_URL: "postgres://bot:db-password@127.0.0.1/rgb",
      SMTP_URL: "smtp://mailer:smtp-password@127.0.0.1:25",
      ALERT_EMAIL_TO: "ops@localhost",
      X_EXTRA_ACCOUNTS: "second:token-2nd:secret-2nd",
    });
    expect(secretsOf(config)).toEqual([
      minimal.TELEGRAM_BOT_TOKEN,
      "webhook-secret",
      "sk-openai-key",
      "admin-api-token-0123",
      "metrics-token-01234",
      "dashboard-token-0123",
      "https://hooks.example/T/B/xyz",
      key,
      "client-secret",
      previous,
      "db-password",
      "smtp-password",
      "app-key",
      "app-secret",
      "access-token",
      "access-secret",
      "app-key",
      "app-secret",
      "token-2nd",
      "secret-2nd",
    ]);
  });

  it("leaves out values shorter than 6 characters (they would mask ordinary words), and keeps those of 6", () => {
    const config = loadConfig({ ...minimal, ...X_CREDENTIALS_ENV, X_APP_KEY: "k1234", X_APP_SECRET: "s12345" });
    expect(secretsOf(config)).toEqual([minimal.TELEGRAM_BOT_TOKEN, "s12345", "access-token", "access-secret"]);
  });

  it.each([
    ["no password", "postgres://bot@127.0.0.1/rgb", []],
    ["a password that reads the same decoded", "postgres://bot:plain-secret@127.0.0.1/rgb", ["plain-secret"]],
    ["a password with an escape", "postgres://bot:a%40b-secret@127.0.0.1/rgb", ["a%40b-secret", "a@b-secret"]],
    ["a stray % in the password, kept as written", "postgres://bot:50%-secret@127.0.0.1/rgb", ["50%-secret"]],
    ["a URL that does not parse", "postgres://bot:pw-secret@[bad/rgb", []],
  ])("takes the DATABASE_URL password with %s", (_name, url, passwords) => {
    expect(secretsOf(loadConfig({ ...minimal, DATABASE_URL: url }))).toEqual([minimal.TELEGRAM_BOT_TOKEN, ...passwords]);
  });
});

describe("variableSchema", () => {
  it("is the schema of one variable without the checks between variables", () => {
    expect(variableSchema("HTTP_PORT")?.parse("8081")).toBe(8081);
    expect(variableSchema("X_APP_KEY")?.parse("only-this-one")).toBe("only-this-one");
    expect(variableSchema("ALERT_CRON")?.safeParse("every minute").success).toBe(false);
  });

  it("is undefined for a name the config does not read, object properties included", () => {
    for (const name of ["NOT_A_VARIABLE", "toString", "constructor", "__proto__"]) expect(variableSchema(name), name).toBeUndefined();
  });
});
