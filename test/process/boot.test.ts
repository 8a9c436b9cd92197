import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { ADMIN, STRANGER, testEnvironment } from "../support/app-harness.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../support/spawn-bot.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { migratedDataDir } from "../support/data-dir.js";

/** Every path under `root` (root included) with its permission bits. */
function modes(root: string): { path: string; dir: boolean; mode: number }[] {
  const stat = statSync(root);
  const self = { path: root, dir: stat.isDirectory(), mode: stat.mode & 0o777 };
  if (!self.dir) return [self];
  return [self, ...readdirSync(root).flatMap((name) => modes(join(root, name)))];
}

/** Waits for the "started" log line and returns the bound HTTP port. */
async function startedPort(bot: SpawnedBot): Promise<number> {
  const line = await bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", 60_000);
  const http = String(parseLogLine(line)?.http);
  return Number(http.split(":").at(-1));
}

describe("the bot as a process (npm start)", () => {
  let tg: TelegramEmulator;
  const dataDirs: string[] = [];
  const bots: SpawnedBot[] = [];
  /** An empty DATA_DIR, or (`migrated`) one whose database exists already, which boots seconds faster. */
  const newDataDir = (kind: "empty" | "migrated" = "empty") => {
    const dir = kind === "migrated" ? migratedDataDir("rgb-proc-") : mkdtempSync(join(tmpdir(), "rgb-proc-"));
    dataDirs.push(dir);
    return dir;
  };
  const spawn = (env: Record<string, string>) => {
    const bot = spawnBot(env);
    bots.push(bot);
    return bot;
  };

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) {
      bot.signal("SIGKILL");
      await bot.closed;
    }
    tg.reset();
  });
  afterAll(async () => {
    await tg.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it("exits non-zero naming TELEGRAM_BOT_TOKEN when it is missing, without a stack trace", async () => {
    const env = testEnvironment(tg, { DATA_DIR: newDataDir() });
    delete env.TELEGRAM_BOT_TOKEN;
    const bot = spawn(env);
    const { code } = await bot.closed;
    expect(code).not.toBe(0);
    const output = bot.lines.join("\n");
    expect(output).toContain("TELEGRAM_BOT_TOKEN is required");
    expect(output).not.toMatch(/^\s+at /m);
  });

  it("boots on the embedded database, answers the admin, refuses a stranger, serves /health, stops on SIGTERM", async () => {
    const dataDir = newDataDir("migrated");
    const bot = spawn(testEnvironment(tg, { DATA_DIR: dataDir, LOG_LEVEL: "info", GRACEFUL_SHUTDOWN_TIMEOUT_MS: "8000" }));
    const port = await startedPort(bot);

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "alive" });

    await tg.sendText({ from: ADMIN, text: "/help" });
    const help = await tg.waitForBotMessage((m) => m.chatId === ADMIN.id, 15_000);
    expect(help.text).toContain("/health");

    await tg.sendText({ from: STRANGER, text: "/help" });
    const refusal = await tg.waitForBotMessage((m) => m.chatId === STRANGER.id, 15_000);
    expect(refusal.text).toBe(REFUSAL_TEXT);

    const signalledAt = Date.now();
    bot.signal("SIGTERM");
    bot.signal("SIGTERM");
    await bot.closed;
    const elapsed = Date.now() - signalledAt;
    expect(elapsed).toBeLessThan(8_000);
    expect(bot.lines.some((l) => parseLogLine(l)?.msg === "stopped cleanly")).toBe(true);
    expect(existsSync(join(dataDir, "bot.lock"))).toBe(false);
    expect(bot.lines.join("\n")).not.toContain(tg.token);
  });

  it("refuses to start a second process on the same DATA_DIR", async () => {
    const dataDir = newDataDir("migrated");
    const first = spawn(testEnvironment(tg, { DATA_DIR: dataDir, LOG_LEVEL: "info" }));
    await startedPort(first);
    const second = spawn(testEnvironment(tg, { DATA_DIR: dataDir, LOG_LEVEL: "info" }));
    const { code } = await second.closed;
    expect(code).not.toBe(0);
    expect(second.lines.join("\n")).toMatch(/DATA_DIR .* is in use by another running bot/);
  });

  it("creates a fresh DATA_DIR 0700 and every file in it 0600 (umask at boot, PGlite's unpacked 0666 files tightened)", async () => {
    const dataDir = join(newDataDir(), "fresh");
    const bot = spawn(testEnvironment(tg, { DATA_DIR: dataDir, LOG_LEVEL: "info" }));
    await startedPort(bot);
    const whileRunning = modes(dataDir);
    bot.signal("SIGTERM");
    await bot.closed;
    const entries = [...whileRunning, ...modes(dataDir)];
    expect(entries.some((entry) => !entry.dir)).toBe(true);
    expect(entries.filter((entry) => entry.path.endsWith("bot.lock")).length).toBeGreaterThan(0);
    const loose = entries.filter((entry) => entry.mode !== (entry.dir ? 0o700 : 0o600));
    expect(loose.map((entry) => `${entry.path} ${entry.mode.toString(8)}`)).toEqual([]);
  });
});
