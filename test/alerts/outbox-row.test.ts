/**
 * The stored form of a raised alert: secrets masked and NUL characters removed everywhere, key,
 * message, detail names and values bounded, undefined details dropped, at most 50 details, numbers
 * JSON cannot hold kept as text, and the alert due at once.
 */
import { describe, expect, it } from "vitest";
import { toAlertRow } from "../../src/alerts/outbox.js";
import { T0 } from "./support.js";

describe("stored alert row", () => {
  it("keeps a plain alert as it was raised, due at once, with an empty key when none was given", () => {
    expect(toAlertRow({ type: "bot_started", level: "info", message: "up", details: { n: 1, ok: false, none: null } }, T0, [])).toEqual({
      type: "bot_started",
      level: "info",
      dedupKey: "",
      message: "up",
      details: { n: 1, ok: false, none: null },
      occurredAt: T0,
      nextAttemptAt: T0,
    });
  });

  it("masks secrets and removes NUL characters in the key, message, detail names and values", () => {
    const row = toAlertRow(
      {
        type: "publication_failed",
        level: "error",
        key: "k\u0000 hunter2",
        message: "body\u0000 hunter2",
        details: { "name hunter2\u0000": "value\u0000 hunter2" },
      },
      T0,
      ["hunter2"],
    );
    expect(row).toMatchObject({
      dedupKey: "k [REDACTED]",
      message: "body [REDACTED]",
      details: { "name [REDACTED]": "value [REDACTED]" },
    });
  });

  it("bounds the key, the message, detail names and values, and the number of details", () => {
    const details = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`d${i}`, i]));
    const row = toAlertRow(
      {
        type: "publication_failed",
        level: "error",
        key: "k".repeat(300),
        message: "m".repeat(5_000),
        details: { [`${"n".repeat(150)}`]: "v".repeat(3_000), ...details },
      },
      T0,
      [],
    );
    expect(row.dedupKey).toBe(`${"k".repeat(199)}…`);
    expect(row.message).toBe(`${"m".repeat(3_999)}…`);
    const stored = row.details as Record<string, unknown>;
    expect(Object.keys(stored)).toHaveLength(50);
    expect(stored[`${"n".repeat(99)}…`]).toBe(`${"v".repeat(1_999)}…`);
    expect(stored.d48).toBe(48);
    expect(stored).not.toHaveProperty("d49");
  });

  it("drops undefined details before counting, and keeps infinite and NaN numbers as text", () => {
    const details = { gone: undefined, inf: Number.POSITIVE_INFINITY, nan: Number.NaN, ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`d${i}`, i])) };
    const stored = toAlertRow({ type: "bot_started", level: "info", message: "x", details }, T0, []).details as Record<string, unknown>;
    expect(stored).not.toHaveProperty("gone");
    expect(stored.inf).toBe("Infinity");
    expect(stored.nan).toBe("NaN");
    expect(stored.d47).toBe(47);
    expect(Object.keys(stored)).toHaveLength(50);
  });
});
