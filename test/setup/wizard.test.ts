import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWizard } from "../../src/setup/wizard.js";
import { scriptedPrompter, type ScriptedAnswer } from "../support/scripted-prompter.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

/** Enter at every question of a run whose file already has the bot token and admin chat, X and AI left out. */
const KEEP_ALL: ScriptedAnswer[] = [
  { asks: "Bot token (Enter = keep current)", answer: "" },
  { asks: "Admin chat", answer: "keep" },
  { asks: "X account", answer: "skip" },
  { asks: "OPENAI_BASE_URL", answer: "" },
  { asks: "OPENAI_API_KEY", answer: "" },
  { asks: "OPENAI_MODEL", answer: "" },
  { asks: "REPLY_POLICY", answer: "summoned" },
  { asks: "QUIET_HOURS", answer: "" },
  { asks: "BOT_TIMEZONE", answer: "" },
  { asks: "MAX_POSTS_PER_HOUR", answer: "" },
  { asks: "MAX_POSTS_PER_DAY", answer: "" },
];

describe("setup: the written file and the bot's check of it", () => {
  let tg: TelegramEmulator;
  let dir: string;
  beforeAll(async () => {
    tg = await startTelegramEmulator();
    dir = mkdtempSync(join(tmpdir(), "rgb-wizard-"));
  });
  afterAll(async () => {
    await tg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the first variable the bot would refuse (one the wizard did not ask), after writing the file", async () => {
    const path = join(dir, "bad.env");
    writeFileSync(path, `TELEGRAM_BOT_TOKEN=${tg.token}\nTELEGRAM_API_ROOT=${tg.apiRoot}\nADMIN_CHAT_ID=1001\nLOG_LEVEL=loud\n`);
    const prompter = scriptedPrompter(KEEP_ALL);
    const result = await runWizard(prompter, { env: { ENV_FILE: path } });
    expect(result.problem).toMatch(/^LOG_LEVEL /);
    expect(prompter.transcript.at(-1)).toBe(`✖ The bot would refuse this configuration: ${result.problem}`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("passes the bot's check with a good file; TELEGRAM_API_ROOT from the environment is used and written", async () => {
    const path = join(dir, "good.env");
    writeFileSync(path, `TELEGRAM_BOT_TOKEN=${tg.token}\nADMIN_CHAT_ID=1001\n`);
    const prompter = scriptedPrompter(KEEP_ALL);
    const result = await runWizard(prompter, { env: { ENV_FILE: path, TELEGRAM_API_ROOT: tg.apiRoot } });
    expect(result.problem).toBeUndefined();
    expect(prompter.transcript.at(-1)).toContain("configuration check passes");
    expect(parseEnv(readFileSync(path, "utf8"))).toMatchObject({ TELEGRAM_API_ROOT: tg.apiRoot, QUIET_HOURS: "00:00-07:00", BOT_TIMEZONE: "UTC" });
  });

  it("writes nothing when the operator stops in the middle (Ctrl+C)", async () => {
    const path = join(dir, "stopped.env");
    const stop = () => {
      throw Object.assign(new Error("User force closed the prompt"), { name: "ExitPromptError" });
    };
    const prompter = scriptedPrompter([{ asks: "Bot token", answer: stop }]);
    await expect(runWizard(prompter, { env: { ENV_FILE: path, TELEGRAM_API_ROOT: tg.apiRoot } })).rejects.toThrow(
      "User force closed the prompt",
    );
    expect(existsSync(path)).toBe(false);
  });
});
