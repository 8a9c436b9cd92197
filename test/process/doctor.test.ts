/**
 * `npm run doctor` as a real process, against the local peers: every ✓ and exit 0 when all is well; exit 1 when
 * dependencies are broken, with no secret of the config anywhere in what it printed.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import { createServer as createNetServer } from "node:net";
import { rmSync } from "node:fs";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_CHAT } from "../support/app-harness.js";
import { migratedDataDir } from "../support/data-dir.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startFakeX, type FakeX } from "../support/fake-x/index.js";
import { spawnBot } from "../support/spawn-bot.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

const DOCTOR = ["npm", "run", "--silent", "doctor", "--", "--timeout-ms", "3000"] as const;
const X_SECRETS = { X_APP_KEY: "doctor-app-key-1111", X_APP_SECRET: "doctor-app-secret-2222", X_ACCESS_TOKEN: "doctor-access-token-3333", X_ACCESS_SECRET: "doctor-access-secret-4444" };
const OPENAI_KEY = "sk-doctor-openai-key-5555";

async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function runDoctor(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const doctor = spawnBot(env, DOCTOR);
  const { code } = await doctor.closed;
  return { code, output: doctor.lines.join("\n") };
}

describe("npm run doctor (a real process)", () => {
  let tg: TelegramEmulator;
  let x: FakeX;
  let ai: FakeOpenAI;
  let smtp: SMTPServer;
  let smtpPort: number;
  let webhook: http.Server;
  let webhookRoot: string;
  let dataDir: string;

  beforeAll(async () => {
    [tg, x, ai] = await Promise.all([startTelegramEmulator(), startFakeX(), startFakeOpenAI()]);
    x.addUser({ username: "replyguy", accessToken: X_SECRETS.X_ACCESS_TOKEN });
    smtp = new SMTPServer({ disabledCommands: ["STARTTLS", "AUTH"] });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    smtpPort = (smtp.server.address() as { port: number }).port;
    webhook = http.createServer((_req, res) => res.writeHead(400).end("no_text"));
    await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
    webhookRoot = `http://127.0.0.1:${(webhook.address() as { port: number }).port}`;
    dataDir = migratedDataDir("rgb-doctor-proc-");
  });
  afterAll(async () => {
    await Promise.all([tg.close(), x.close(), ai.close()]);
    await new Promise<void>((resolve) => smtp.close(resolve));
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints the configuration's problems as one failed line and exits 1", { timeout: 60_000 }, async () => {
    const { code, output } = await runDoctor({ ADMIN_CHAT_ID: "not-a-number" });
    expect(output.split("\n")[0]).toMatch(/^✗ Configuration: TELEGRAM_BOT_TOKEN is required.*; ADMIN_CHAT_ID .* — see \.env\.example for every variable and its default$/);
    expect(code).toBe(1);
  });

  it("prints ✓ for every dependency and exits 0 when all of them work", { timeout: 90_000 }, async () => {
    const { code, output } = await runDoctor({
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_API_ROOT: tg.apiRoot,
      ADMIN_CHAT_ID: String(ADMIN_CHAT.id),
      ADMIN_USER_IDS: "1001",
      DATA_DIR: dataDir,
      X_API_ROOT: x.baseUrl,
      ...X_SECRETS,
      OPENAI_BASE_URL: ai.baseUrl,
      OPENAI_API_KEY: OPENAI_KEY,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ALERT_EMAIL_TO: "ops@example.test",
      ALERT_WEBHOOK_URL: `${webhookRoot}/hooks/secret-hook-path`,
    });
    const lines = output.split("\n");
    expect(lines.map((line) => line.split(":")[0])).toEqual([
      "✓ Configuration",
      "✓ DATA_DIR",
      "✓ Database",
      "✓ Telegram bot token",
      "✓ Admin chat",
      "✓ X account main",
      "✓ Model",
      "✓ SMTP",
      "✓ Alert webhook",
      "✓ Clock",
      "ready",
    ]);
    expect(lines.at(-1)).toBe("ready: 10 ok, 0 warnings, 0 failed, 0 not configured");
    expect(code).toBe(0);
  });

  it("prints ✗ with what to do, exits 1, and never prints a secret, when dependencies are broken", { timeout: 90_000 }, async () => {
    const token = "123456:WRONG-doctor-token-6666";
    const dbPassword = "db-password-7777";
    const smtpPassword = "smtp-password-8888";
    const encryptionKey = randomBytes(32).toString("base64");
    const hookPath = "/hooks/T0/B0/webhook-secret-9999";
    x.setUserAccess("replyguy", "revoked");
    ai.setDown(401);
    const env = {
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_API_ROOT: tg.apiRoot,
      ADMIN_CHAT_ID: String(ADMIN_CHAT.id),
      ADMIN_USER_IDS: "1001",
      DATABASE_URL: `postgres://bot:${dbPassword}@127.0.0.1:${await closedPort()}/replies`,
      ENCRYPTION_KEY: encryptionKey,
      X_API_ROOT: x.baseUrl,
      ...X_SECRETS,
      OPENAI_BASE_URL: ai.baseUrl,
      OPENAI_API_KEY: OPENAI_KEY,
      SMTP_URL: `smtp://alerts:${smtpPassword}@127.0.0.1:${await closedPort()}`,
      ALERT_EMAIL_TO: "ops@example.test",
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${await closedPort()}${hookPath}`,
    };
    const { code, output } = await runDoctor(env);
    expect(code).toBe(1);
    expect(output).toContain("✗ Telegram bot token: rejected (401: Unauthorized) — check TELEGRAM_BOT_TOKEN");
    expect(output).toContain("✗ Database: cannot open PostgreSQL at 127.0.0.1:");
    expect(output).toContain("✗ X account main: rejected (401) — check X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET");
    expect(output).toContain("✗ Model: the key is rejected (401)");
    expect(output).toMatch(/✗ SMTP: cannot talk to 127\.0\.0\.1:\d+ /);
    expect(output).toMatch(/✗ Alert webhook: 127\.0\.0\.1:\d+ unreachable/);
    expect(output.split("\n").at(-1)).toMatch(/^not ready: /);
    for (const secret of [token, "WRONG-doctor-token-6666", dbPassword, smtpPassword, encryptionKey, hookPath, OPENAI_KEY, ...Object.values(X_SECRETS)]) {
      expect(output).not.toContain(secret);
    }
  });
});
