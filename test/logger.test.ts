import { describe, expect, it } from "vitest";
import { loadConfig, secretsOf } from "../src/config.js";
import { redactSecrets } from "../src/logger.js";
import { capturingLogger } from "./support/logger.js";

describe("logger", () => {
  it("never writes a configured secret, wherever it appears", () => {
    const token = "123456:SECRET-token";
    const { logger, lines } = capturingLogger([token, "sk-live-key"]);
    logger.info({ url: `https://api.telegram.org/bot${token}/getMe` }, "calling");
    logger.error({ err: new Error(`request failed for key sk-live-key`) }, "boom");
    logger.info({ config: { telegram: { token: "other" } }, authorization: "Bearer x" }, "paths");
    const output = lines.join("");
    expect(output).not.toContain(token);
    expect(output).not.toContain("sk-live-key");
    expect(output).not.toContain("Bearer x");
    expect(output).toContain("[REDACTED]");
    expect(lines).toHaveLength(3);
  });

  it("masks the password of any URL userinfo in a log line or an error, and a bare userinfo token", () => {
    const { logger, lines } = capturingLogger([]);
    logger.error({ err: new Error("connect failed: postgres://bot:pg-pass-1@db.internal:5432/rgb") }, "database down");
    logger.info({ smtp: "smtps://mailer:mail%40pass@smtp.example.com:465" }, "mail channel");
    logger.warn("webhook https://ghp_tokenonly@hooks.example.com/x failed; retrying http://127.0.0.1:8080/health");
    const output = lines.join("");
    expect(output).not.toContain("pg-pass-1");
    expect(output).not.toContain("mail%40pass");
    expect(output).not.toContain("ghp_tokenonly");
    expect(output).toContain("postgres://bot:[REDACTED]@db.internal:5432/rgb");
    expect(output).toContain("smtps://mailer:[REDACTED]@smtp.example.com:465");
    expect(output).toContain("https://[REDACTED]@hooks.example.com/x");
    expect(output).toContain("http://127.0.0.1:8080/health");
    expect(redactSecrets("see user@example.com and a:b@c", [])).toBe("see user@example.com and a:b@c");
  });

  it("redacts the DATABASE_URL and SMTP passwords anywhere, written or decoded, outside a URL too", () => {
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi",
      ADMIN_CHAT_ID: "4242",
      DATABASE_URL: "postgres://bot:db%2Fsecret-9@127.0.0.1:5432/rgb",
      SMTP_URL: "smtp://mailer:smtp-secret-7@127.0.0.1:25",
      ALERT_EMAIL_TO: "ops@localhost",
    });
    const secrets = secretsOf(config);
    expect(secrets).toEqual(expect.arrayContaining(["db%2Fsecret-9", "db/secret-9", "smtp-secret-7"]));
    const text = redactSecrets('password authentication failed (password "db/secret-9"); smtp said smtp-secret-7', secrets);
    expect(text).not.toContain("secret-9");
    expect(text).not.toContain("smtp-secret-7");
  });
});
