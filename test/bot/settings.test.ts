import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { REFUSAL_TEXT } from "../../src/bot/middlewares/admin-guard.js";
import { SETTINGS_COMMANDS, createSettingsFeature } from "../../src/bot/features/settings.js";
import { settings, settingsAudit } from "../../src/db/schema.js";
import { SETTING_KEYS, SettingsStore } from "../../src/workflow/settings.js";
import { loadConfig } from "../../src/config.js";
import { ADMIN, ADMIN_CHAT, SECOND_ADMIN, STRANGER, testEnvironment } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";

describe("/settings", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let bot: FeatureBot;
  let store: SettingsStore;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
  });
  // A fresh store (empty cache) and bot per test over emptied tables; only the database is shared.
  beforeEach(async () => {
    tg.reset();
    await database.handle.db.delete(settings);
    await database.handle.db.delete(settingsAudit);
    // The harness turns quiet hours off; these tests show the environment's default.
    const env = { BOT_TIMEZONE: "Europe/Berlin", QUIET_HOURS: "00:00-07:00" };
    store = new SettingsStore(database.handle.db, loadConfig(testEnvironment(tg, env)).defaults);
    bot = startFeatureBot(tg, database.handle, [createSettingsFeature({ settings: store })], env);
  });
  afterEach(async () => {
    await bot.stop();
  });
  afterAll(async () => {
    await database.dispose();
    await tg.close();
  });

  /** Sends `text` as `from` (in private) and resolves with the bot's next message there. */
  async function ask(text: string, from = ADMIN): Promise<string> {
    const lastId = tg.botMessages(from.id).at(-1)?.messageId ?? 0;
    await tg.sendText({ from, text });
    const reply = await tg.waitForBotMessage((m) => m.chatId === from.id && m.messageId > lastId);
    return reply.text;
  }

  async function auditCount(): Promise<number> {
    return (await database.handle.db.select().from(settingsAudit)).length;
  }

  it("declares its command", () => {
    expect(SETTINGS_COMMANDS).toEqual([{ command: "settings", description: expect.any(String) }]);
  });

  it("shows every setting with its value, a default marker and its description, as HTML", async () => {
    const text = await ask("/settings");
    // Each setting's line, then its description indented on the next one.
    for (const key of SETTING_KEYS) expect(text).toMatch(new RegExp(`<b>${key}</b> = .*\\n {4}[A-Z][a-z].{8,}\\n`));
    expect(text).toContain("<b>min_delay</b> = <code>15</code> <i>(default)</i>");
    expect(text).toContain("<b>quiet_hours</b> = <code>00:00-07:00</code> <i>(default)</i>");
    expect(text).toContain("Shortest wait from approval to publishing");
    expect(text).toContain("none yet");
    expect(tg.botMessages(ADMIN.id).at(-1)?.parseMode).toBe("HTML");
  });

  it("sets a value, confirms it, and shows it changed with who and when", async () => {
    expect(await ask("/settings set MIN_DELAY 30")).toBe("✅ min_delay = 30");
    const overview = await ask("/settings");
    expect(overview).toContain("<b>min_delay</b> = <code>30</code>\n");
    expect(overview).toMatch(/• \d\d:\d\d \(Europe\/Berlin\): <b>min_delay<\/b> 15 → 30 \(by 1001\)/);
  });

  it("takes a persona of several words and lines, and escapes it in the overview", async () => {
    expect(await ask("/settings set persona Be <terse> & kind.\nNever use hashtags.")).toBe(
      "✅ persona = Be <terse> & kind.\nNever use hashtags.",
    );
    const overview = await ask("/settings");
    expect(overview).toContain("<code>Be &lt;terse&gt; &amp; kind.\nNever use hashtags.</code>");
    expect(overview).not.toContain("<terse>");
  });

  it("applies a change at once to whoever reads the store", async () => {
    await ask("/settings set quiet_hours off");
    await ask("/settings set gatekeeper on", SECOND_ADMIN);
    // A store of another replica (fresh cache) reads the same values.
    const fresh = new SettingsStore(database.handle.db, bot.config.defaults);
    expect(await store.current()).toMatchObject({ quietHours: "", gatekeeperEnabled: true });
    expect(await fresh.current()).toMatchObject({ quietHours: "", gatekeeperEnabled: true });
    expect(await ask("/settings")).toContain("<b>quiet_hours</b> = <code>off</code>\n");
  });

  it("resets a setting and lists the history", async () => {
    await ask("/settings set jitter 60");
    expect(await ask("/settings reset jitter", SECOND_ADMIN)).toBe("✅ jitter = 300");
    const history = await ask("/settings history");
    expect(history).toContain("<b>jitter</b> 60 → 300 (by 1002)");
    expect(history).toContain("<b>jitter</b> 300 → 60 (by 1001)");
  });

  it("answers a bad value with one line and changes nothing", async () => {
    const reply = await ask("/settings set max_delay 5000");
    expect(reply).toBe("❌ max_delay must be a whole number of minutes from 0 to 1440");
    expect(await ask("/settings set min_delay 500")).toBe("❌ min_delay (500) must not exceed max_delay (120)");
    expect(await ask("/settings set colour blue")).toMatch(/^❌ Unknown setting "colour"\. Keys: persona, min_delay, /);
    expect(await auditCount()).toBe(0);
  });

  it("answers malformed use with one usage line and changes nothing", async () => {
    const malformed = [
      "/settings set",
      "/settings set min_delay",
      "/settings reset",
      "/settings reset jitter now",
      "/settings history please",
      "/settings frobnicate",
    ];
    for (const text of malformed) {
      const reply = await ask(text);
      expect(reply, text).toMatch(/^Usage: \/settings/);
      if (!text.includes("history")) expect(reply, text).toContain(`keys: ${SETTING_KEYS.join(", ")}`);
      expect(reply, text).not.toContain("\n");
    }
    expect(await ask("/settings set")).toBe(
      `Usage: /settings set <key> <value> — keys: ${SETTING_KEYS.join(", ")}`,
    );
    expect(await auditCount()).toBe(0);
  });

  it("works in the admin group with the bot's @username", async () => {
    await tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/settings@reply_guy_test_bot set max_per_hour 5" });
    const reply = await tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id);
    expect(reply.text).toBe("✅ max_per_hour = 5");
  });

  it("lets a stranger change nothing", async () => {
    expect(await ask("/settings set max_per_day 1", STRANGER)).toBe(REFUSAL_TEXT);
    await tg.sendText({ from: STRANGER, chat: ADMIN_CHAT, text: "/settings set max_per_day 2" });
    // The admin's next command is handled after the stranger's (same chat, in order): nothing answered, nothing stored.
    await tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/settings history" });
    const reply = await tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id);
    expect(reply.text).toBe("No changes yet.");
    expect(tg.botMessages(ADMIN_CHAT.id)).toHaveLength(1);
    expect(await auditCount()).toBe(0);
  });
});
