/**
 * One channel try: written to `alert_deliveries` (kind, outcome, error), reported to the metrics
 * hook as success, failure or rate limited, noted in the health map, and a rate limit makes the
 * channel rest; whatever the driver throws comes out as a ChannelError, and neither a failed
 * record nor a failing hook changes the try's result.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createChannelAttempt, type ChannelAttempt } from "../../src/alerts/channel-attempt.js";
import { createChannelGate, type ChannelGate } from "../../src/alerts/channel-gate.js";
import type { HealthMap } from "../../src/alerts/channel-health.js";
import { ChannelError, type ChannelDriver } from "../../src/alerts/channels.js";
import type { AlertChannel, DeliveryOutcome } from "../../src/alerts/types.js";
import type { Database } from "../../src/db/database.js";
import { alertDeliveries } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger } from "../support/logger.js";
import { clearAlertTables, fakeClock, type FakeClock } from "./support.js";

function driver(name: AlertChannel): ChannelDriver {
  return { name, editable: name === "telegram", send: () => Promise.resolve(undefined), update: () => Promise.resolve(undefined) };
}

describe.each(databaseTargets())("channel attempt ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let clock: FakeClock;
  let gate: ChannelGate;
  let health: HealthMap;
  let reported: [AlertChannel, DeliveryOutcome][];
  let lines: string[];

  beforeEach(() => {
    clock = fakeClock();
    gate = createChannelGate();
    health = new Map();
    reported = [];
  });

  function attemptWith(database: Database = db(), onDelivery?: (channel: AlertChannel, outcome: DeliveryOutcome) => void): ChannelAttempt {
    const capture = capturingLogger();
    lines = capture.lines;
    return createChannelAttempt({
      db: database,
      logger: capture.logger,
      drivers: { telegram: driver("telegram"), webhook: driver("webhook") },
      gate,
      now: clock.now,
      onDelivery: onDelivery ?? ((channel, outcome) => reported.push([channel, outcome])),
    });
  }
  const recorded = () =>
    db()
      .select({ alertId: alertDeliveries.alertId, channel: alertDeliveries.channel, kind: alertDeliveries.kind, ok: alertDeliveries.ok, error: alertDeliveries.error, at: alertDeliveries.at })
      .from(alertDeliveries);

  it("records and reports a success, with the message id it got", async () => {
    const attempt = attemptWith();
    expect(await attempt("telegram", 4, "update", () => Promise.resolve(99), health)).toBe(99);
    expect(await recorded()).toEqual([{ alertId: 4, channel: "telegram", kind: "update", ok: true, error: null, at: clock.now() }]);
    const [delivery] = await db().select({ latencyMs: alertDeliveries.latencyMs }).from(alertDeliveries);
    expect(delivery!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(delivery!.latencyMs).toBeLessThan(1_000); // an instant driver
    expect(reported).toEqual([["telegram", "success"]]);
    expect(health.get("telegram")).toEqual({ consecutiveFailures: 0, lastFailureAt: 0 });
  });

  it("records and reports a failure, counts it in the health map, and throws it as a ChannelError", async () => {
    const attempt = attemptWith();
    await expect(attempt("webhook", 5, "send", () => Promise.reject(new Error("socket hang up")), health)).rejects.toThrow(
      new ChannelError("socket hang up"),
    );
    await expect(attempt("webhook", 5, "send", () => Promise.reject(new Error("again")), health)).rejects.toBeInstanceOf(ChannelError);
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a port that rejects with a bare string
    await expect(attempt("webhook", 6, "send", () => Promise.reject("a bare string"), health)).rejects.toThrow("a bare string");
    expect(await recorded()).toMatchObject([
      { alertId: 5, channel: "webhook", kind: "send", ok: false, error: "socket hang up" },
      { alertId: 5, ok: false, error: "again" },
      { alertId: 6, ok: false, error: "a bare string" },
    ]);
    expect(reported).toEqual([
      ["webhook", "failure"],
      ["webhook", "failure"],
      ["webhook", "failure"],
    ]);
    expect(health.get("webhook")).toEqual({ consecutiveFailures: 3, lastFailureAt: clock.now().getTime() });
    expect(gate.restEnd("webhook", clock.now().getTime())).toBeUndefined();
  });

  it("a rate limit is reported as such and makes the channel rest for as long as it was asked", async () => {
    const attempt = attemptWith();
    const limited = new ChannelError("telegram 429: Too Many Requests", 7_000);
    await expect(attempt("telegram", 8, "send", () => Promise.reject(limited), health)).rejects.toBe(limited);
    expect(reported).toEqual([["telegram", "rate_limited"]]);
    expect(gate.restEnd("telegram", clock.now().getTime())).toBe(clock.now().getTime() + 7_000);
  });

  it("refuses a channel that is not configured, and tries nothing", async () => {
    const attempt = attemptWith();
    await expect(attempt("email", 1, "send", () => Promise.resolve(1), health)).rejects.toThrow(
      new ChannelError("channel email is not configured"),
    );
    expect(await recorded()).toEqual([]);
    expect(reported).toEqual([]);
  });

  it("a try that cannot be recorded, or whose hook throws, still counts as the try it was", async () => {
    const database = db();
    const noInsert = new Proxy(database, {
      get: (target, property, receiver) =>
        property === "insert"
          ? () => ({ values: () => Promise.reject(new Error("the database is away")) })
          : (Reflect.get(target, property, receiver) as unknown),
    });
    expect(await attemptWith(noInsert)("telegram", 2, "send", () => Promise.resolve(12), health)).toBe(12);
    expect(lines.join("")).toContain("could not record an alert delivery");
    expect(reported).toEqual([["telegram", "success"]]);

    const hooked = attemptWith(database, () => {
      throw new Error("metrics broke");
    });
    expect(await hooked("telegram", 3, "send", () => Promise.resolve(13), health)).toBe(13);
    expect(lines.join("")).toContain("alert delivery hook failed");
    expect(await recorded()).toMatchObject([{ alertId: 3, ok: true }]);
  });
});
