import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../support/app-harness.js";
import { migratedDataDir } from "../support/data-dir.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startFakeX, type FakeX } from "../support/fake-x/index.js";
import { spawnInPty, type PtySession } from "../support/pty.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../support/spawn-bot.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

const X_SECRETS = {
  X_APP_KEY: "app-key-fixture-1",
  X_APP_SECRET: "app-secret-fixture-2",
  X_ACCESS_TOKEN: "access-token-fixture-3",
  X_ACCESS_SECRET: "access-secret-fixture-4",
};
const OPENAI_KEY = "sk-wizard-fixture-key-5";
const WRONG_TOKEN = "123456:WRONG-wizard-token";

/** Drives the wizard's prompts one at a time: waits for a prompt shown after the last answer, then types. */
function operator(pty: PtySession) {
  let position = 0;
  return {
    async answer(prompt: string | RegExp, keys: string) {
      position = await pty.waitFor(prompt, { since: position });
      pty.type(keys);
    },
    async expect(text: string | RegExp) {
      position = await pty.waitFor(text, { since: position });
    },
  };
}

describe("npm run setup (the wizard in a terminal)", () => {
  let tg: TelegramEmulator;
  let x: FakeX;
  let ai: FakeOpenAI;
  const dirs: string[] = [];
  const sessions: PtySession[] = [];
  const bots: SpawnedBot[] = [];
  const newDir = (prefix: string, dir = mkdtempSync(join(tmpdir(), prefix))) => (dirs.push(dir), dir);
  const wizard = (env: Record<string, string>) => {
    const pty = spawnInPty("npm run setup --silent", env);
    sessions.push(pty);
    return pty;
  };

  beforeAll(async () => {
    [tg, x, ai] = await Promise.all([startTelegramEmulator(), startFakeX(), startFakeOpenAI()]);
    x.addUser({ username: "replyguy", name: "Reply Guy", accessToken: X_SECRETS.X_ACCESS_TOKEN });
  });
  afterEach(async () => {
    for (const pty of sessions.splice(0)) {
      pty.kill();
      await pty.exited;
    }
    for (const bot of bots.splice(0)) {
      bot.signal("SIGKILL");
      await bot.closed;
    }
    tg.reset();
  });
  afterAll(async () => {
    await Promise.all([tg.close(), x.close(), ai.close()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("writes a .env the bot starts with: refuses a wrong token and asks again, finds the admin from /start, checks X and the model", async () => {
    const envFile = join(newDir("rgb-setup-"), ".env");
    const pty = wizard({ ENV_FILE: envFile, TELEGRAM_API_ROOT: tg.apiRoot, X_API_ROOT: x.baseUrl, OPENAI_BASE_URL: ai.baseUrl });
    const op = operator(pty);

    await op.answer("? Bot token", `${WRONG_TOKEN}\r`);
    await op.expect("Telegram refused this token (401");
    await op.answer("? Bot token", `${tg.token}\r`);
    await op.expect("Token accepted: this is @reply_guy_test_bot");

    await op.answer("❯ Find them from a /start message", "\r");
    await op.expect("Waiting for it");
    await tg.sendText({ from: ADMIN, text: "/start" });
    await op.answer(/\? Got \/start from a private chat with Ada \(@ada_admin\), user id 1001\. Use this chat/, "\r");
    await op.answer("? ADMIN_USER_IDS", "\r");
    await op.expect("Sent a test message");

    await op.answer("❯ Enter the app's credentials now", "\r");
    for (const [variable, value] of Object.entries(X_SECRETS)) await op.answer(`? ${variable}:`, `${value}\r`);
    await op.expect("X account: @replyguy (Reply Guy)");

    await op.answer("? OPENAI_BASE_URL", "\r");
    await op.answer("? OPENAI_API_KEY", `${OPENAI_KEY}\r`);
    await op.answer("? OPENAI_MODEL", "\r");
    await op.expect("The provider takes the key and answers with gpt-4o-mini");

    await op.answer("❯ summoned: answer only posts", "\r");
    await op.answer("? QUIET_HOURS", "none\r");
    await op.answer("? BOT_TIMEZONE", "Europe/Berlin\r");
    await op.answer("? MAX_POSTS_PER_HOUR", "\r");
    await op.answer("? MAX_POSTS_PER_DAY", "20\r");
    await op.expect("The bot's configuration check passes");
    expect(await pty.exited).toBe(0);

    // The wrong token, the right one and every other secret stayed off the screen.
    for (const secret of [WRONG_TOKEN, tg.token, OPENAI_KEY, ...Object.values(X_SECRETS)]) expect(pty.output()).not.toContain(secret);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const written = parseEnv(readFileSync(envFile, "utf8"));
    expect(written).toMatchObject({
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_API_ROOT: tg.apiRoot,
      ADMIN_CHAT_ID: String(ADMIN.id),
      ADMIN_USER_IDS: String(ADMIN.id),
      ...X_SECRETS,
      X_API_ROOT: x.baseUrl,
      OPENAI_BASE_URL: ai.baseUrl,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_MODEL: "gpt-4o-mini",
      REPLY_POLICY: "summoned",
      QUIET_HOURS: "",
      BOT_TIMEZONE: "Europe/Berlin",
      MAX_POSTS_PER_DAY: "20",
    });
    expect(tg.calls("sendMessage").at(-1)?.payload).toMatchObject({ chat_id: ADMIN.id });
    // Only the answers: a default in the file would override a Docker image's own (DATA_DIR=/data, HTTP_HOST=0.0.0.0).
    expect(Object.keys(written).filter((variable) => ["DATA_DIR", "HTTP_HOST", "HTTP_PORT"].includes(variable))).toEqual([]);

    // The bot starts with exactly that file (DATA_DIR and the port are the test's) and obeys the admin it found.
    const bot = spawnBot({ ENV_FILE: envFile, DATA_DIR: migratedDataDir("rgb-setup-data-"), HTTP_PORT: "0", LOG_LEVEL: "info", SESSION_RECOVERY_ENABLED: "false" });
    bots.push(bot);
    const started = parseLogLine(await bot.waitForLine((line) => parseLogLine(line)?.msg === "reply-guy-bot started", 60_000));
    const port = String(started?.http).split(":").at(-1);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    await tg.sendText({ from: ADMIN, text: "/help" });
    const help = await tg.waitForBotMessage((m) => m.chatId === ADMIN.id && m.text.includes("/health"), 15_000);
    expect(help.text).toContain("/health");
  }, 120_000);

  it("keeps every existing value when the operator presses Enter throughout, secrets offered as \"keep current\"", async () => {
    const envFile = join(newDir("rgb-setup-"), ".env");
    const before = [
      "# my own notes stay",
      `TELEGRAM_BOT_TOKEN=${tg.token}`,
      `TELEGRAM_API_ROOT=${tg.apiRoot}`,
      "ADMIN_CHAT_ID=-1009",
      "ADMIN_USER_IDS=1001,1002",
      ...Object.entries(X_SECRETS).map(([variable, value]) => `${variable}=${value}`),
      `X_API_ROOT=${x.baseUrl}`,
      `OPENAI_BASE_URL=${ai.baseUrl}`,
      `OPENAI_API_KEY=${OPENAI_KEY}`,
      "OPENAI_MODEL=gpt-4o",
      "REPLY_POLICY=any",
      "QUIET_HOURS=",
      "BOT_TIMEZONE=Asia/Tokyo",
      "MAX_POSTS_PER_HOUR=4",
      "MAX_POSTS_PER_DAY=9",
      'PERSONA="A terse engineer # who likes tabs"',
      "",
    ].join("\n");
    writeFileSync(envFile, before, { mode: 0o644 });
    const pty = wizard({ ENV_FILE: envFile });
    const op = operator(pty);

    await op.answer("? Bot token (Enter = keep current)", "\r");
    await op.expect("Token accepted");
    await op.answer("❯ Keep chat -1009, admins 1001,1002", "\r");
    await op.answer("❯ Keep or change them", "\r");
    for (const variable of Object.keys(X_SECRETS)) await op.answer(`? ${variable}: `, "\r");
    await op.expect("X account: @replyguy");
    await op.answer(`? OPENAI_BASE_URL (${ai.baseUrl})`, "\r");
    await op.answer("? OPENAI_API_KEY (Enter = keep current)", "\r");
    await op.answer("? OPENAI_MODEL (gpt-4o)", "\r");
    await op.expect("answers with gpt-4o");
    await op.answer("❯ any: every post", "\r");
    await op.answer("? QUIET_HOURS", "\r");
    await op.answer("? BOT_TIMEZONE", "\r");
    await op.answer("? MAX_POSTS_PER_HOUR", "\r");
    await op.answer("? MAX_POSTS_PER_DAY", "\r");
    await op.expect("The bot's configuration check passes");
    expect(await pty.exited).toBe(0);

    const after = readFileSync(envFile, "utf8");
    expect(parseEnv(after)).toEqual(parseEnv(before));
    expect(after).toContain("# my own notes stay");
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    for (const secret of [tg.token, OPENAI_KEY, ...Object.values(X_SECRETS)]) expect(pty.output()).not.toContain(secret);
  }, 60_000);
});
