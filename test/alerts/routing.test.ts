/**
 * Routing: the forced channels of a reprocessed alert (the configured ones) come before any rule;
 * a level's rule is the admin's or the default, over the enabled and configured channels; round
 * robin keeps one turn per level; health based waits for the first breaker to reopen when every
 * usable channel's breaker is open.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { CHANNEL_BREAKER_COOLDOWN_MS } from "../../src/alerts/channel-health.js";
import type { AlertRecord } from "../../src/alerts/records.js";
import { createRouter, type Router } from "../../src/alerts/routing.js";
import { createAlertState, type AlertState } from "../../src/alerts/state.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearAlertTables, T0 } from "./support.js";

const AT = T0.getTime();

function record(forcedChannels: string[] | null = null): AlertRecord {
  return {
    id: 1,
    type: "publication_failed",
    level: "error",
    dedupKey: "",
    message: "m",
    details: {},
    occurredAt: T0,
    status: "pending",
    failedAttempts: 0,
    nextAttemptAt: T0,
    lastError: null,
    forcedChannels,
    mergedInto: null,
    repeatCount: 0,
    repeatShown: 0,
    lastRepeatAt: null,
    deliveredChannel: null,
    deliveredAt: null,
    telegramMessageId: null,
    updatedAt: T0,
  };
}

describe.each(databaseTargets())("alert routing ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let state: AlertState;
  let router: Router;

  beforeEach(() => {
    state = createAlertState(db());
    router = createRouter({ db: db(), state, configured: ["telegram", "webhook"] });
  });

  it("loads the admin's rules marked custom, the default for the other levels, and the enabled configured channels", async () => {
    await state.setRule("error", { primary: "webhook", fallbacks: ["telegram"], strategy: "round_robin" });
    await state.setEnabledChannels(["email", "webhook"]);
    const routing = await router.load();
    expect(routing.rules.error).toEqual({ primary: "webhook", fallbacks: ["telegram"], strategy: "round_robin", custom: true });
    expect(routing.rules.info).toEqual({ primary: "telegram", fallbacks: ["webhook"], strategy: "priority_order", custom: false });
    expect(routing.enabled).toEqual(["webhook"]);
    expect([...routing.health.keys()]).toEqual(["telegram", "webhook"]);
  });

  it("sends a reprocessed alert to its forced channels that are configured, whatever the rule", async () => {
    const routing = await router.load();
    expect(router.choose(record(["email", "webhook", "fax"]), "error", routing, AT)).toEqual({ channels: ["webhook"] });
    expect(router.choose(record(["email"]), "error", routing, AT)).toEqual({ channels: [] });
    expect(router.choose(record(["fax"]), "error", routing, AT)).toEqual({ channels: ["telegram", "webhook"] });
    expect(router.choose(record([]), "error", routing, AT)).toEqual({ channels: ["telegram", "webhook"] });
  });

  it("round robin takes turns per level", async () => {
    await state.setRule("error", { primary: "telegram", fallbacks: ["webhook"], strategy: "round_robin" });
    await state.setRule("warning", { primary: "telegram", fallbacks: ["webhook"], strategy: "round_robin" });
    const routing = await router.load();
    const first = (level: "error" | "warning") => router.choose(record(), level, routing, AT).channels[0];
    expect([first("error"), first("error"), first("warning"), first("error"), first("warning")]).toEqual([
      "telegram",
      "webhook",
      "telegram",
      "telegram",
      "webhook",
    ]);
  });

  it("round robin over three channels moves one on for each alert", async () => {
    const three = createRouter({ db: db(), state, configured: ["telegram", "webhook", "email"] });
    await state.setRule("critical", { primary: "telegram", fallbacks: ["webhook", "email"], strategy: "round_robin" });
    const routing = await three.load();
    const turns = [0, 1, 2, 3].map(() => three.choose(record(), "critical", routing, AT).channels);
    expect(turns).toEqual([
      ["telegram", "webhook", "email"],
      ["webhook", "email", "telegram"],
      ["email", "telegram", "webhook"],
      ["telegram", "webhook", "email"],
    ]);
  });

  it("health based: waits for the first usable breaker to reopen when all are open, and is simply empty with no usable channel", async () => {
    await state.setRule("error", { primary: "telegram", fallbacks: ["webhook"], strategy: "health_based" });
    const routing = await router.load();
    routing.health.set("telegram", { consecutiveFailures: 3, lastFailureAt: AT - 1_000 });
    routing.health.set("webhook", { consecutiveFailures: 3, lastFailureAt: AT - 5_000 });
    expect(router.choose(record(), "error", routing, AT)).toEqual({ allOpenUntil: AT - 5_000 + CHANNEL_BREAKER_COOLDOWN_MS, channels: [] });
    expect(router.choose(record(), "error", { ...routing, enabled: ["telegram"] }, AT)).toEqual({
      allOpenUntil: AT - 1_000 + CHANNEL_BREAKER_COOLDOWN_MS,
      channels: [],
    });
    expect(router.choose(record(), "error", { ...routing, enabled: [] }, AT)).toEqual({ channels: [] });
    expect(router.choose(record(), "error", routing, AT - 5_000 + CHANNEL_BREAKER_COOLDOWN_MS)).toEqual({ channels: ["webhook"] });
  });
});
