/**
 * Property: what an admin types after a command (/settings, /watch, /search, /topic, /optout…) gives a valid value or
 * a clear refusal, never a crash; and a valid value survives the trip to the database and back to the screen.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSettingKey, SETTING_DEFINITIONS, SETTING_KEYS, settingDefinition } from "../../src/workflow/settings.js";
import { normaliseUsername, normaliseWatchValue, type WatchKind } from "../../src/workflow/watchlist.js";

const RUNS = { numRuns: 300 };

/** Text an admin might type: anything, plus near-misses of the valid forms. */
const typed = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("0", "-1", "1e3", "0.5", "1.", ".5", "on", "OFF", "true", "none", "7:00-22:30", "24:00-01:00", "10-5", "5 - 10", "@alice", "alice_1234567890"),
  fc.tuple(fc.nat(30), fc.nat(70), fc.nat(30), fc.nat(70)).map(([a, b, c, d]) => `${a}:${String(b).padStart(2, "0")}-${c}:${String(d).padStart(2, "0")}`),
  fc.tuple(fc.nat(5000), fc.nat(5000)).map(([a, b]) => `${a}-${b}`),
  fc.double({ noNaN: false }).map(String),
);

describe("command arguments (property)", () => {
  it("/settings set <key> <text>: a value that reads back the same, or a one-line refusal naming the key", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SETTING_KEYS), typed, (key, raw) => {
        const definition = settingDefinition(key);
        const parsed = definition.parse(raw);
        if (!parsed.ok) {
          expect(parsed.error).toContain(key.split("_")[0]);
          expect(parsed.error).not.toContain("\n");
          return;
        }
        // What is stored (JSON) decodes to the same value, and what is shown parses back to it.
        const stored = JSON.parse(JSON.stringify(parsed.value)) as unknown;
        expect(definition.decode(stored)).toEqual(parsed.value);
        const shown = (definition.format as (value: unknown) => string)(parsed.value);
        expect(definition.parse(shown)).toEqual(parsed);
      }),
      RUNS,
    );
  });

  it("/settings with an unknown key is told apart from a setting", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (key) => {
        expect(isSettingKey(key)).toBe(Object.keys(SETTING_DEFINITIONS).includes(key));
      }),
      RUNS,
    );
  });

  it("/watch, /search, /topic: a normalised value that normalises to itself, or a refusal", () => {
    fc.assert(
      fc.property(fc.constantFrom<WatchKind>("target", "search", "topic"), typed, (kind, raw) => {
        const result = normaliseWatchValue(kind, raw);
        if (!result.ok) {
          expect(result.error.length).toBeGreaterThan(0);
          return;
        }
        expect(result.value.length).toBeGreaterThan(0);
        expect(normaliseWatchValue(kind, result.value)).toEqual(result);
      }),
      RUNS,
    );
  });

  it("/optout, /optin, /watch <user>: an X username (1–15 of A-Z a-z 0-9 _) or a refusal", () => {
    fc.assert(
      fc.property(typed, (raw) => {
        const result = normaliseUsername(raw);
        if (result.ok) expect(result.value).toMatch(/^[A-Za-z0-9_]{1,15}$/);
        else expect(result.error).toContain("username");
      }),
      RUNS,
    );
  });
});
