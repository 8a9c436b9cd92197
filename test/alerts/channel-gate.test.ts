/**
 * When a channel may be tried: not before the end of a rest a rate limit gave it, and Telegram not
 * past 18 sends and edits in any minute; a rest and the throttle together hold until the later end.
 */
import { describe, expect, it } from "vitest";
import { createChannelGate, TELEGRAM_PER_MINUTE } from "../../src/alerts/channel-gate.js";
import { T0 } from "./support.js";

const AT = T0.getTime();
const MINUTE = 60_000;

describe("channel gate", () => {
  it("keeps a resting channel back until the rest ends, and only that channel", () => {
    const gate = createChannelGate();
    gate.rest("webhook", AT + 5_000);
    expect(gate.restEnd("webhook", AT)).toBe(AT + 5_000);
    expect(gate.restEnd("webhook", AT + 4_999)).toBe(AT + 5_000);
    expect(gate.restEnd("email", AT)).toBeUndefined();
    expect(gate.restEnd("webhook", AT + 5_000)).toBeUndefined();
    expect(gate.restEnd("webhook", AT + 1_000)).toBeUndefined(); // an ended rest is forgotten
  });

  it("throttles Telegram to 18 calls a minute, and counts no other channel", () => {
    expect(TELEGRAM_PER_MINUTE).toBe(18);
    const gate = createChannelGate();
    for (let i = 0; i < TELEGRAM_PER_MINUTE - 1; i++) gate.noteCall("telegram", AT + i);
    expect(gate.restEnd("telegram", AT + 100)).toBeUndefined();
    for (let i = 0; i < 50; i++) gate.noteCall("webhook", AT + i);
    expect(gate.restEnd("webhook", AT + 100)).toBeUndefined();
    gate.noteCall("telegram", AT + 50);
    expect(gate.restEnd("telegram", AT + 100)).toBe(AT + MINUTE);
    expect(gate.restEnd("webhook", AT + 100)).toBeUndefined(); // Telegram's throttle holds back Telegram only
    expect(gate.restEnd("telegram", AT + MINUTE)).toBeUndefined();
  });

  it("holds Telegram until the later of its rest and its throttle", () => {
    const gate = createChannelGate(2);
    gate.noteCall("telegram", AT);
    gate.noteCall("telegram", AT + 1_000);
    gate.rest("telegram", AT + 10_000);
    expect(gate.restEnd("telegram", AT + 2_000)).toBe(AT + MINUTE);
    gate.rest("telegram", AT + 2 * MINUTE);
    expect(gate.restEnd("telegram", AT + 2_000)).toBe(AT + 2 * MINUTE);
  });
});
