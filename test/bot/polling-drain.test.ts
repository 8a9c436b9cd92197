/**
 * Shutdown of the polling supervisor: it stops fetching at once, then waits for the updates already being
 * handled — until they finish or the deadline passes, whichever comes first.
 */
import { Bot } from "grammy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BotContext } from "../../src/bot/context.js";
import { PollingSupervisor } from "../../src/bot/polling.js";
import { ADMIN } from "../support/app-harness.js";
import { capturingLogger } from "../support/logger.js";
import { EMULATOR_RUNNER_OPTIONS, startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

/** A handler that holds its update until released, and says when it entered and finished. */
function slowHandler() {
  let release: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const state = {
    finished: false,
    entered: new Promise<void>((resolve) => (entered = resolve)),
    release: () => release(),
  };
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handler = async () => {
    entered();
    await gate;
    state.finished = true;
  };
  return { state, handler };
}

describe("PollingSupervisor.stop drains in-flight updates", () => {
  let tg: TelegramEmulator;
  const supervisors: PollingSupervisor[] = [];

  async function polling(handler: () => Promise<void>) {
    const bot = new Bot<BotContext>(tg.token, tg.botConfig);
    bot.on("message", handler);
    const { logger, lines } = capturingLogger();
    const supervisor = new PollingSupervisor(bot, logger, EMULATOR_RUNNER_OPTIONS, (error) => {
      throw error;
    });
    supervisors.push(supervisor);
    supervisor.start();
    const deadline = Date.now() + 10_000;
    while (!supervisor.isPolling()) {
      if (Date.now() > deadline) throw new Error("the supervisor never started polling");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { supervisor, lines };
  }

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterEach(async () => {
    for (const supervisor of supervisors.splice(0)) await supervisor.stop(Date.now() + 1_000);
    tg.reset();
  });
  afterAll(async () => {
    await tg.close();
  });

  it("waits for a handler that finishes before the deadline, and stops polling first", async () => {
    const { state, handler } = slowHandler();
    const { supervisor } = await polling(handler);
    await tg.sendText({ from: ADMIN, text: "slow one" });
    await state.entered;

    let stopped = false;
    const stopping = supervisor.stop(Date.now() + 10_000).then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(supervisor.isPolling()).toBe(false);
    expect(stopped).toBe(false); // still draining: the handler holds its update
    state.release();
    await stopping;
    expect(state.finished).toBe(true);
  });

  it("gives up at the deadline with the update still in flight, and says so", async () => {
    const { state, handler } = slowHandler();
    const { supervisor, lines } = await polling(handler);
    await tg.sendText({ from: ADMIN, text: "never finishes in time" });
    await state.entered;

    const startedAt = Date.now();
    await supervisor.stop(startedAt + 400);
    const took = Date.now() - startedAt;
    expect(took).toBeGreaterThanOrEqual(380);
    expect(took).toBeLessThan(3_000);
    expect(state.finished).toBe(false);
    expect(lines.some((line) => line.includes("shutdown deadline hit with updates in flight") && line.includes('"inFlight":1'))).toBe(true);
    state.release();
  });
});
