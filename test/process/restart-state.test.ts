/**
 * State that must outlive the process, checked across a real restart: a second `node src/main.ts` on the same
 * DATA_DIR after the first one is gone. An in-process "restart" (a new app on the same database handle) would
 * pass even if the state only lived in module memory.
 */
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../support/spawn-bot.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";
import { migratedDataDir } from "../support/data-dir.js";

/** The bot as the Docker image runs it (node, no npm in between), from the TypeScript sources. */
const BOT_COMMAND = ["node", "--import", "tsx", "src/main.ts"] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("state kept across a process restart (same DATA_DIR)", () => {
  let rig: WorkflowRig;
  let dataDir: string;
  const bots: SpawnedBot[] = [];

  /** Starts the bot and resolves with it and its HTTP base URL once it has started. */
  async function start(extra: Record<string, string> = {}): Promise<{ bot: SpawnedBot; http: string }> {
    const env = testEnvironment(rig.tg, { ...rig.env(extra), DATA_DIR: dataDir, LOG_LEVEL: "info" });
    const bot = spawnBot(env, BOT_COMMAND);
    bots.push(bot);
    const line = await bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", 60_000);
    const address = String(parseLogLine(line)?.http);
    return { bot, http: `http://127.0.0.1:${address.split(":").at(-1)}` };
  }

  async function kill(bot: SpawnedBot, signal: NodeJS.Signals): Promise<void> {
    bot.signal(signal);
    await bot.closed;
  }

  async function componentStates(http: string): Promise<Record<string, string>> {
    const response = await fetch(`${http}/health`);
    return ((await response.json()) as { components: Record<string, string> }).components;
  }

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) await kill(bot, "SIGKILL");
    rig.reset();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await rig.close();
  });

  it("an X breaker opened by one process is still open in the next: nothing reaches X until it rests", { timeout: 120_000 }, async () => {
    dataDir = migratedDataDir("rgb-restart-breaker-");
    // Default threshold (5); discovery every second; retries without long waits.
    const fast = { DISCOVERY_CRON: "* * * * * *", RETRY_BASE_DELAY_MS: "1", RETRY_MAX_DELAY_MS: "1" };
    rig.x.setDown(503);
    const first = await start(fast);
    await first.bot.waitForLine((l) => {
      const entry = parseLogLine(l);
      return entry?.msg === "circuit breaker changed state" && entry.breaker === "x:main" && entry.state === "open";
    }, 20_000);
    expect((await componentStates(first.http))["x:main"]).toBe("degraded");
    await kill(first.bot, "SIGTERM");

    rig.x.setDown(null);
    const before = rig.x.requests().length;
    const second = await start(fast);
    await sleep(3_000); // three discovery ticks
    expect(rig.x.requests().slice(before)).toEqual([]);
    expect((await componentStates(second.http))["x:main"]).toBe("degraded");
    const recovery = second.bot.lines.map((l) => parseLogLine(l)).find((entry) => entry?.msg === "boot recovery done");
    expect(recovery?.restoredBreakers).toBeGreaterThanOrEqual(1);
    expect(before).toBeGreaterThan(0); // the first process did reach X
  });

  it("an Edit pressed before a kill -9 is finished after the restart: the next text becomes the draft", { timeout: 120_000 }, async () => {
    dataDir = migratedDataDir("rgb-restart-edit-");
    const first = await start({ DISCOVERY_CRON: "* * * * * *" });
    rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy will an edit survive a crash?" });
    const card = await rig.tg.waitForBotMessage(
      (m) => m.chatId === ADMIN_CHAT.id && m.text.includes("will an edit survive a crash?") && m.inlineKeyboard.length > 0,
      20_000,
    );
    const pressed = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Edit") });
    await rig.tg.waitForCallbackAnswer(pressed, 10_000);
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.startsWith("✏️ Send the new text"), 10_000);
    await sleep(500); // the conversation's state is written once its step returns
    await kill(first.bot, "SIGKILL");

    await start();
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "Edited after the crash, and still mine." });
    const confirmation = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && /Reply #\d+ updated/.test(m.text), 20_000);
    expect(confirmation.text).toContain("approve it on its card");
    const redrawn = await rig.tg.waitForBotMessage(
      (m) => m.messageId === card.messageId && m.text.includes("Edited after the crash, and still mine."),
      20_000,
    );
    expect(redrawn.inlineKeyboard.length).toBeGreaterThan(0);
  });
});
