import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createPauseFeature } from "../../src/bot/features/pause.js";
import { REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { appState } from "../../src/db/schema.js";
import { PAUSE_KEY, PauseSwitch } from "../../src/workflow/pause.js";
import { ADMIN, SECOND_ADMIN, STRANGER } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { startTelegramEmulator, type EmulatorUser, type TelegramEmulator } from "../support/telegram-emulator/index.js";

describe("/pause and /resume", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let bot: FeatureBot;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    bot = startFeatureBot(tg, database.handle, [createPauseFeature({ pause: new PauseSwitch(database.handle.db) })], {
      BOT_TIMEZONE: "Europe/Berlin",
    });
  });
  afterEach(async () => {
    tg.reset();
    await database.handle.db.delete(appState).where(eq(appState.key, PAUSE_KEY));
  });
  afterAll(async () => {
    await bot.stop();
    await tg.close();
    await database.dispose();
  });

  async function send(text: string, from: EmulatorUser = ADMIN): Promise<string> {
    const before = tg.botMessages(from.id).length;
    await tg.sendText({ from, text });
    await tg.waitForBotMessage((m) => m.chatId === from.id && tg.botMessages(from.id).length > before);
    return tg.botMessages(from.id)[before]!.text;
  }

  /** A fresh switch on the same database, as after a restart. */
  const stored = () => new PauseSwitch(database.handle.db).state();

  it("pauses, persists, and says so when already paused", async () => {
    expect(await send("/pause")).toBe("⏸ <b>Paused.</b> Send /resume to continue.");
    expect(await stored()).toMatchObject({ paused: true, by: ADMIN.id });
    const again = await send("/pause", SECOND_ADMIN);
    expect(again).toMatch(/^⏸ Already paused by <a href="tg:\/\/user\?id=1001">user 1001<\/a> since \d+ \w{3} \d{4}, \d\d:\d\d \(Europe\/Berlin\)\./);
    expect(await send("/pause")).toMatch(/^⏸ Already paused by you since /);
    expect(await stored()).toMatchObject({ paused: true, by: ADMIN.id });
  });

  it("resumes, saying who paused and when in the bot's time zone", async () => {
    await new PauseSwitch(database.handle.db).pause(ADMIN.id, new Date("2025-07-01T08:30:00Z"));
    expect(await send("/resume", SECOND_ADMIN)).toBe(
      '▶️ <b>Resumed.</b> It had been paused by <a href="tg://user?id=1001">user 1001</a> since 1 Jul 2025, 10:30 (Europe/Berlin).',
    );
    expect(await stored()).toMatchObject({ paused: false, by: SECOND_ADMIN.id });
    expect(await send("/resume")).toBe("▶️ Not paused: the bot is already running.");
  });

  it("ignores a stranger", async () => {
    expect(await send("/pause", STRANGER)).toBe(REFUSAL_TEXT);
    expect(await stored()).toEqual({ paused: false });
  });
});
