/**
 * /breaker through the Telegram emulator: lists the breakers with their state, resets one by name
 * (the real breaker closes and lets calls through again), and answers an unknown name or bad
 * arguments with one short line.
 */
import { BrokenCircuitError } from "cockatiel";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BREAKER_USAGE, createBreakerFeature } from "../../src/bot/features/breakers.js";
import type { BreakerStore } from "../../src/resilience/breaker-store.js";
import type { PolicySettings } from "../../src/resilience/policy.js";
import { ResilienceRegistry, type DependencyKind } from "../../src/resilience/registry.js";
import { ADMIN, ADMIN_CHAT } from "../support/app-harness.js";
import { startFeatureBot, type FeatureBot } from "../support/bot-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { startTelegramEmulator, type BotMessageView, type TelegramEmulator } from "../support/telegram-emulator/index.js";

const SETTINGS: PolicySettings = {
  timeoutMs: 0,
  retries: 0,
  baseDelayMs: 1,
  maxDelayMs: 1,
  breakerThreshold: 1,
  halfOpenAfterMs: 600_000,
};
const ALL_SETTINGS: Record<DependencyKind, PolicySettings> = { x: SETTINGS, ai: SETTINGS, db: SETTINGS };

const memoryStore = (): BreakerStore => ({ loadAll: () => Promise.resolve(new Map()), save: () => Promise.resolve() });
const networkDown = () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));

describe("/breaker", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let bot: FeatureBot;
  let registry: ResilienceRegistry;
  // The feature holds the registry it was built with: tests swap the one behind this view.
  const breakers = { all: () => registry.all(), reset: (name: string) => registry.reset(name) };

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    bot = startFeatureBot(tg, database.handle, [createBreakerFeature({ breakers })]);
  });
  afterAll(async () => {
    await bot.stop();
    await tg.close();
    await database.dispose();
  });
  beforeEach(() => {
    tg.reset();
    registry = new ResilienceRegistry(ALL_SETTINGS, memoryStore(), silentLogger());
  });

  /** Opens the named breaker with one transient failure (threshold 1). */
  async function open(name: string, kind: DependencyKind): Promise<void> {
    await expect(registry.policy(name, kind).execute(networkDown)).rejects.toThrow("ECONNREFUSED");
    expect(registry.policy(name, kind).state).toBe("open");
  }

  async function send(text: string): Promise<BotMessageView> {
    const before = tg.botMessages(ADMIN_CHAT.id).length;
    await tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text });
    await tg.waitForBotMessage(() => tg.botMessages(ADMIN_CHAT.id).length > before);
    return tg.botMessages(ADMIN_CHAT.id)[before]!;
  }

  it("says there are none before any dependency was called", async () => {
    expect((await send("/breaker")).text).toBe("No circuit breakers yet (they appear on first use).");
  });

  it("lists every breaker with its state (and since when an open one is open), with or without 'list'", async () => {
    registry.policy("db", "db");
    await open("x:main", "x");
    for (const command of ["/breaker", "/breaker list"]) {
      const message = await send(command);
      expect(message.parseMode).toBe("HTML");
      const [title, db, x, ...rest] = message.text.split("\n");
      expect(title).toBe("<b>Circuit breakers</b>");
      expect(db).toBe("🟢 <code>db</code> closed");
      expect(x).toMatch(/^🔴 <code>x:main<\/code> open since \d{2}:\d{2}/);
      expect(rest).toEqual([]);
    }
  });

  it("reset <name> closes that breaker, so calls go through again, and says so", async () => {
    await open("x:main", "x");
    await open("ai:gpt-4o-mini", "ai");
    await expect(registry.policy("x:main", "x").execute(() => Promise.resolve("ok"))).rejects.toBeInstanceOf(BrokenCircuitError);

    expect((await send("/breaker reset x:main")).text).toBe("✅ Breaker x:main reset to closed.");
    expect(registry.policy("x:main", "x").state).toBe("closed");
    await expect(registry.policy("x:main", "x").execute(() => Promise.resolve("ok"))).resolves.toBe("ok");
    // Only the named breaker was touched.
    expect(registry.policy("ai:gpt-4o-mini", "ai").state).toBe("open");
    expect((await send("/breaker")).text).toContain("🟢 <code>x:main</code> closed");
  });

  it("an unknown name gets one short line naming the known breakers, and changes nothing", async () => {
    await open("x:main", "x");
    expect((await send("/breaker reset x:other")).text).toBe('No breaker named "x:other". Known: x:main.');
    expect(registry.policy("x:main", "x").state).toBe("open");
  });

  it("a name too long to repeat is cut in the answer, which still reaches the admin", async () => {
    const answer = (await send(`/breaker reset ${"n".repeat(4_070)}`)).text;
    expect(answer).toBe(`No breaker named "${"n".repeat(99)}…". Known: none yet.`);
  });

  it("an unknown name with no breakers at all says none yet", async () => {
    expect((await send("/breaker reset db")).text).toBe('No breaker named "db". Known: none yet.');
  });

  it("answers anything else with the usage line", async () => {
    await open("x:main", "x");
    for (const command of ["/breaker reset", "/breaker reset x:main extra", "/breaker close x:main", "/breaker list x:main"]) {
      expect((await send(command)).text).toBe(BREAKER_USAGE);
    }
    expect(registry.policy("x:main", "x").state).toBe("open");
  });
});
