/**
 * The formats the configuration checks whole values against (the config mutation run found their edges unpinned): a
 * valid value with something before or after it is refused, naming the variable; a value at a format's edge is read.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { MINIMAL_ENV, problemsOf } from "./support/config-env.js";

const minimal = MINIMAL_ENV;
const KEY = Buffer.alloc(32, 7).toString("base64");
const KEY_LENGTH = "must be 32 bytes in base64 (make one with: openssl rand -base64 32)";

describe("config formats", () => {
  it.each([
    ["PUBLISH_GAP_SECONDS", "x30-90", "must be seconds N or a range N-M"],
    ["PUBLISH_GAP_SECONDS", "30-90s", "must be seconds N or a range N-M"],
    ["QUIET_HOURS", "x23:00-07:00", "must be HH:MM-HH:MM (24 h) or empty for none"],
    ["QUIET_HOURS", "23:00-07:00x", "must be HH:MM-HH:MM (24 h) or empty for none"],
    ["QUIET_HOURS", "23:00-24:00", "must be HH:MM-HH:MM (24 h) or empty for none"],
    ["ENCRYPTION_KEY", `!${KEY}`, KEY_LENGTH],
    ["ENCRYPTION_KEY", `${KEY}!`, KEY_LENGTH],
    ["WEBHOOK_URL", "xhttps://bot.example.com/tg", "must be an https URL like https://bot.example.com/telegram/webhook"],
    ["PUBLIC_URL", "xhttps://bot.example.com", "must be an http(s) URL like https://bot.example.com"],
    ["PUBLIC_URL", "ftp://bot.example.com", "must be an http(s) URL like https://bot.example.com"],
    ["ALERT_WEBHOOK_URL", "hooks.example.com/alerts", "must be an http(s) URL"],
    ["METRICS_TOKEN", "fifteen-chars15", "must be at least 16 characters"],
    ["TELEGRAM_DOWNLOAD_LIMIT_MB", "1.5", "must be a whole number"],
    ["PUBLISH_RETRY_BASE_SECONDS", "1.5", "must be a whole number"],
    ["TELEGRAM_DOWNLOAD_LIMIT_MB", "0", "must be at least 1"],
  ])("refuses %s=%s", (name, value, message) => {
    expect(problemsOf({ ...minimal, [name]: value })).toEqual([`${name} ${message}`]);
  });

  it("names a missing bot token with where to get one", () => {
    const { TELEGRAM_BOT_TOKEN: _token, ...withoutToken } = minimal;
    expect(problemsOf(withoutToken)).toEqual(["TELEGRAM_BOT_TOKEN is required (the token @BotFather gave you)"]);
  });

  it("has no OAuth 2.0 client with PUBLIC_URL alone: X_CLIENT_ID is what it still needs", () => {
    expect(loadConfig({ ...minimal, PUBLIC_URL: "https://bot.example.com" }).xOAuth2).toMatchObject({ client: undefined, missing: ["X_CLIENT_ID"] });
  });

  it("refuses an alert address with a second @ in it", () => {
    const problems = problemsOf({ ...minimal, SMTP_URL: "smtp://mail.local", ALERT_EMAIL_TO: "ops@mail@local" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ALERT_EMAIL_TO /);
  });

  it("reads a key without its base64 padding, a plain-http public URL and one ending in several slashes", () => {
    const unpadded = KEY.replace(/=+$/, "");
    expect(unpadded).not.toBe(KEY);
    expect(loadConfig({ ...minimal, ENCRYPTION_KEY: unpadded }).sessions.encryptionKey).toBe(unpadded);
    const local = loadConfig({ ...minimal, X_CLIENT_ID: "cid", PUBLIC_URL: "http://localhost:8080" });
    expect(local.xOAuth2.client?.redirectUri).toBe("http://localhost:8080/oauth/x/callback");
    const slashes = loadConfig({ ...minimal, X_CLIENT_ID: "cid", PUBLIC_URL: "https://bot.example.com//" });
    expect(slashes.xOAuth2.client?.redirectUri).toBe("https://bot.example.com/oauth/x/callback");
  });
});
