import { parseEnv } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyUpdates, envLine, UnwritableValueError } from "../../src/setup/env-text.js";

describe("the .env text the wizard writes", () => {
  it("writes any one-line value so that the bot's parser reads it back unchanged", () => {
    for (const value of ["plain", "0 */5 * * * *", "a # not a comment", " padded ", "it's", 'say "hi"', "`tick`", "", "x=y", "#hash"]) {
      expect(parseEnv(envLine("V", value)).V).toBe(value);
    }
    fc.assert(
      fc.property(
        fc.string().filter((value) => !value.includes("\n") && !(value.includes("'") && value.includes('"') && value.includes("`"))),
        (value) => parseEnv(envLine("V", value)).V === value,
      ),
    );
  });

  it("refuses a value no quoting can carry instead of writing a different one", () => {
    expect(() => envLine("PERSONA", "two\nlines")).toThrow(UnwritableValueError);
    // Bare, " #" starts a comment; each kind of quote occurs inside.
    expect(() => envLine("PERSONA", `a #' " \``)).toThrow(/PERSONA/);
  });

  it("changes a value in place, keeps comments and order, fills a commented-out line, appends the rest", () => {
    const base = ["# Telegram", "TELEGRAM_BOT_TOKEN=", "# OPENAI_API_KEY=", "LOG_LEVEL=info", "# mine", "LOG_LEVEL=debug"].join("\n");
    const text = applyUpdates(
      base,
      new Map([
        ["TELEGRAM_BOT_TOKEN", "1:abc"],
        ["OPENAI_API_KEY", "sk-1"],
        ["LOG_LEVEL", "warn"],
        ["BOT_TIMEZONE", "Europe/Berlin"],
      ]),
    );
    expect(text).toBe(
      ["# Telegram", "TELEGRAM_BOT_TOKEN=1:abc", "OPENAI_API_KEY=sk-1", "LOG_LEVEL=info", "# mine", "LOG_LEVEL=warn", "BOT_TIMEZONE=Europe/Berlin", ""].join("\n"),
    );
    expect(parseEnv(text)).toEqual({ TELEGRAM_BOT_TOKEN: "1:abc", OPENAI_API_KEY: "sk-1", LOG_LEVEL: "warn", BOT_TIMEZONE: "Europe/Berlin" });
  });

  it("unsets a variable by commenting out every active line of it, so no earlier duplicate comes back", () => {
    const text = applyUpdates("X_APP_KEY=a\nOTHER=1\nexport X_APP_KEY=b\n", new Map([["X_APP_KEY", undefined]]));
    expect(parseEnv(text)).toEqual({ OTHER: "1" });
  });

  it("starts an empty file from nothing", () => {
    expect(applyUpdates("", new Map([["A", "1"]]))).toBe("A=1\n");
  });
});
