/** Property: any environment gives a Config or a ConfigError naming each bad variable, never a crash. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, ConfigError, loadConfig, secretsOf } from "../../src/config.js";

const REQUIRED = { TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242" };

/** Values an operator might write: anything, plus near-misses of numbers, booleans, URLs, crons and lists. */
const value = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", " ", "0", "-1", "1.5", "1e3", "NaN", "true", "yes", "off", "http://", "https://x", "//[", "postgres://u:p@h/db",
    "smtp://u:%zz@h", "* * * * *", "61 * * * *", "a,b,,c", "x:1:2:3", "22:00-06:00", "25:00-01:00", "Europe/Berlin", "Mars/Olympus",
    "debug", "9999999999999999999999", "-100123", "１２"),
  fc.integer().map(String),
);

const env = fc
  .dictionary(fc.constantFrom(...CONFIG_VARIABLES), value, { maxKeys: 12 })
  .chain((random) => fc.boolean().map((keepRequired) => (keepRequired ? { ...random, ...REQUIRED, ...pick(random) } : random)));

/** Keeps the random required values sometimes, so they are fuzzed too. */
function pick(random: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(random).filter(([name]) => name in REQUIRED && random[name]!.length % 2 === 0));
}

describe("loadConfig (property)", () => {
  it("returns a Config or throws a ConfigError whose every problem starts with the variable's name", () => {
    fc.assert(
      fc.property(env, (vars) => {
        let config;
        try {
          config = loadConfig(vars);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          const { problems } = error as ConfigError;
          expect(problems.length).toBeGreaterThan(0);
          for (const problem of problems) expect(CONFIG_VARIABLES).toContain(problem.split(" ")[0]);
          return;
        }
        expect(config.telegram.token.length).toBeGreaterThan(0);
        expect(Number.isSafeInteger(config.adminChatId)).toBe(true);
        expect(() => secretsOf(config)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
