import { BrokenCircuitError } from "cockatiel";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { ResiliencePolicy } from "../../src/resilience/policy.js";
import type { DependencyKind } from "../../src/resilience/registry.js";
import { policySettingsFromConfig } from "../../src/resilience/settings.js";

const minimal = { TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242" };

/** A failure every policy counts against its breaker: the peer cannot be reached. */
const unreachable = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });

/** Calls a policy built from the default configuration until its breaker opens; returns the attempts that ran. */
async function attemptsUntilOpen(kind: DependencyKind): Promise<number> {
  const settings = policySettingsFromConfig(loadConfig(minimal))[kind];
  // Keep the default threshold and retry count; only the waits between retries are shortened.
  const policy = new ResiliencePolicy(`${kind}:test`, { ...settings, baseDelayMs: 1, maxDelayMs: 1 }, { onStateChange: () => undefined });
  let attempts = 0;
  for (let call = 0; call < 20 && policy.state !== "open"; call++) {
    await policy
      .execute(() => {
        attempts += 1;
        return Promise.reject(unreachable());
      })
      .catch(() => undefined);
  }
  await expect(policy.execute(() => Promise.resolve("reached"))).rejects.toBeInstanceOf(BrokenCircuitError);
  return attempts;
}

describe("breaker defaults (no *_BREAKER_* variable set)", () => {
  it("an X account's breaker opens after exactly 5 consecutive failed attempts and rests 120 s", async () => {
    expect(await attemptsUntilOpen("x")).toBe(5);
    expect(policySettingsFromConfig(loadConfig(minimal)).x).toMatchObject({ breakerThreshold: 5, halfOpenAfterMs: 120_000 });
  });

  it("an AI model's breaker opens after exactly 3 failed attempts and rests 60 s", async () => {
    expect(await attemptsUntilOpen("ai")).toBe(3);
    expect(policySettingsFromConfig(loadConfig(minimal)).ai).toMatchObject({ breakerThreshold: 3, halfOpenAfterMs: 60_000 });
  });

  it("the database breaker opens after exactly 3 failed attempts and rests 30 s", async () => {
    expect(await attemptsUntilOpen("db")).toBe(3);
    expect(policySettingsFromConfig(loadConfig(minimal)).db).toMatchObject({ breakerThreshold: 3, halfOpenAfterMs: 30_000 });
  });

  it("retries a failed read twice by default (3 attempts per call), with 1 s base and 10 s cap", () => {
    expect(policySettingsFromConfig(loadConfig(minimal)).x).toMatchObject({ retries: 2, baseDelayMs: 1_000, maxDelayMs: 10_000 });
  });

  it("X_BREAKER_THRESHOLD overrides the default", () => {
    const settings = policySettingsFromConfig(loadConfig({ ...minimal, X_BREAKER_THRESHOLD: "2" })).x;
    expect(settings.breakerThreshold).toBe(2);
  });
});
