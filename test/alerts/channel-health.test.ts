/**
 * Channel health: three failed tries in a row open a channel's breaker, which lets a probe through
 * 60 s after the last failure; the state is read back from the latest delivery rows, so it
 * survives a restart.
 */
import { describe, expect, it } from "vitest";
import {
  CHANNEL_BREAKER_COOLDOWN_MS,
  CHANNEL_BREAKER_THRESHOLD,
  channelBreakerState,
  earliestReopen,
  loadChannelHealth,
  noteTry,
  type HealthMap,
} from "../../src/alerts/channel-health.js";
import type { AlertChannel } from "../../src/alerts/types.js";
import { alertDeliveries } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearAlertTables, T0 } from "./support.js";

const AT = T0.getTime();

describe("channel breaker state", () => {
  it("opens at three failures in a row, not two", () => {
    expect(CHANNEL_BREAKER_THRESHOLD).toBe(3);
    expect(channelBreakerState({ consecutiveFailures: 2, lastFailureAt: AT }, AT)).toBe("closed");
    expect(channelBreakerState({ consecutiveFailures: 3, lastFailureAt: AT }, AT)).toBe("open");
    expect(channelBreakerState(undefined, AT)).toBe("closed");
  });

  it("half-opens exactly 60 s after the last failure", () => {
    expect(CHANNEL_BREAKER_COOLDOWN_MS).toBe(60_000);
    const health = { consecutiveFailures: 5, lastFailureAt: AT };
    expect(channelBreakerState(health, AT + CHANNEL_BREAKER_COOLDOWN_MS - 1)).toBe("open");
    expect(channelBreakerState(health, AT + CHANNEL_BREAKER_COOLDOWN_MS)).toBe("half_open");
  });

  it("the earliest reopening is the first of the channels' last failures plus the cooldown", () => {
    const health: HealthMap = new Map([
      ["telegram", { consecutiveFailures: 3, lastFailureAt: AT + 7_000 }],
      ["webhook", { consecutiveFailures: 3, lastFailureAt: AT + 2_000 }],
    ]);
    expect(earliestReopen(health, ["telegram", "webhook"])).toBe(AT + 2_000 + CHANNEL_BREAKER_COOLDOWN_MS);
    expect(earliestReopen(health, ["telegram"])).toBe(AT + 7_000 + CHANNEL_BREAKER_COOLDOWN_MS);
    expect(earliestReopen(health, ["email"])).toBe(CHANNEL_BREAKER_COOLDOWN_MS);
  });

  it("a failed try counts up and moves the last failure; a success starts again from zero", () => {
    const health: HealthMap = new Map();
    noteTry(health, "webhook", false, AT);
    noteTry(health, "webhook", false, AT + 1_000);
    expect(health.get("webhook")).toEqual({ consecutiveFailures: 2, lastFailureAt: AT + 1_000 });
    noteTry(health, "webhook", true, AT + 2_000);
    expect(health.get("webhook")).toEqual({ consecutiveFailures: 0, lastFailureAt: AT + 1_000 });
    noteTry(health, "email", true, AT);
    expect(health.get("email")).toEqual({ consecutiveFailures: 0, lastFailureAt: 0 });
  });
});

describe.each(databaseTargets())("channel health read back ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);

  /** Writes tries of `channel`, oldest first, one second apart from T0. */
  async function tries(channel: AlertChannel, outcomes: boolean[]): Promise<void> {
    for (const [index, ok] of outcomes.entries()) {
      await db()
        .insert(alertDeliveries)
        .values({ alertId: 1, channel, kind: "send", ok, latencyMs: 3, error: ok ? null : "down", at: new Date(AT + index * 1_000) });
    }
  }

  it("counts the failures since the latest success, up to the threshold, and when the latest one failed", async () => {
    await tries("telegram", [false, true, false, false]);
    await tries("webhook", [true, false, false, false, false]);
    await tries("email", [false, true]);
    const health = await loadChannelHealth(db(), ["telegram", "webhook", "email"]);
    expect(health.get("telegram")).toEqual({ consecutiveFailures: 2, lastFailureAt: AT + 3_000 });
    expect(health.get("webhook")).toEqual({ consecutiveFailures: 3, lastFailureAt: AT + 4_000 });
    expect(health.get("email")).toEqual({ consecutiveFailures: 0, lastFailureAt: 0 });
  });

  it("a channel never tried is healthy", async () => {
    await tries("webhook", [false, false, false]);
    const health = await loadChannelHealth(db(), ["telegram"]);
    expect([...health.keys()]).toEqual(["telegram"]);
    expect(health.get("telegram")).toEqual({ consecutiveFailures: 0, lastFailureAt: 0 });
  });
});
