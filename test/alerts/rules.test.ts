/**
 * Which channels an alert goes out on: the default rule follows the configured channels; the admin
 * API's rule and channel-list validation names the field and says what is wrong; a stored rule is
 * read back tolerantly; each strategy orders (or skips) the usable channels.
 */
import { describe, expect, it } from "vitest";
import { channelsToTry, defaultRule, parseStoredRule, validateChannelList, validateRule } from "../../src/alerts/rules.js";
import type { AlertChannel, ChannelRule } from "../../src/alerts/types.js";

const ALL: readonly AlertChannel[] = ["telegram", "webhook", "email"];
const everyUsable = { usable: () => true, rotation: 0, isOpen: () => false };

describe("default rule", () => {
  it("is Telegram first, then the configured ones of webhook and e-mail, in that order", () => {
    expect(defaultRule(["email", "telegram", "webhook"])).toEqual({
      primary: "telegram",
      fallbacks: ["webhook", "email"],
      strategy: "priority_order",
    });
    expect(defaultRule(["telegram", "email"]).fallbacks).toEqual(["email"]);
    expect(defaultRule(["telegram"]).fallbacks).toEqual([]);
  });
});

describe("rule validation", () => {
  it("accepts a full rule and fills in no fallbacks and priority order", () => {
    expect(validateRule({ primary: "webhook", fallbacks: ["email", "telegram"], strategy: "round_robin" }, ALL)).toEqual({
      ok: true,
      value: { primary: "webhook", fallbacks: ["email", "telegram"], strategy: "round_robin" },
    });
    expect(validateRule({ primary: "email" }, ALL)).toEqual({
      ok: true,
      value: { primary: "email", fallbacks: [], strategy: "priority_order" },
    });
  });

  it("says what is wrong with each field", () => {
    const cases: [unknown, string, string][] = [
      [null, "body", 'must be a JSON object like {"primary":"telegram","fallbacks":["webhook"]}'],
      [["telegram"], "body", "must be a JSON object"],
      ["telegram", "body", "must be a JSON object"],
      [{ primary: "telegram", colour: "red" }, "colour", "is not a rule field (primary, fallbacks, strategy)"],
      [{ fallbacks: [] }, "primary", "is required"],
      [{ primary: "pigeon" }, "primary", "must be one of telegram, webhook, email"],
      [{ primary: "telegram", fallbacks: ["telegram"] }, "fallbacks", "must not repeat the primary channel telegram"],
      [{ primary: "telegram", strategy: "random" }, "strategy", "must be one of priority_order, round_robin, health_based"],
    ];
    for (const [body, field, error] of cases) {
      const answer = validateRule(body, ALL);
      expect(answer, JSON.stringify(body)).toMatchObject({ ok: false, field });
      expect(answer.ok ? "" : answer.error, JSON.stringify(body)).toContain(error);
    }
    expect(validateRule({ primary: "email" }, ["telegram"])).toEqual({ ok: false, field: "primary", error: "channel email is not configured" });
  });

  it("checks a channel list: an array of distinct, configured channels, empty only where allowed", () => {
    expect(validateChannelList(["webhook", "telegram"], "channels", ALL, false)).toEqual({ ok: true, value: ["webhook", "telegram"] });
    expect(validateChannelList([], "fallbacks", ALL, true)).toEqual({ ok: true, value: [] });
    expect(validateChannelList([], "channels", ALL, false)).toEqual({ ok: false, field: "channels", error: "must name at least one channel" });
    expect(validateChannelList("telegram", "channels", ALL, true)).toEqual({
      ok: false,
      field: "channels",
      error: "must be an array of channel names",
    });
    expect(validateChannelList(["email", "email"], "channels", ALL, false)).toEqual({ ok: false, field: "channels", error: "lists email twice" });
    expect(validateChannelList(["telegram", "fax"], "channels", ALL, false)).toMatchObject({ ok: false, field: "channels" });
    expect(validateChannelList(["webhook"], "channels", ["telegram"], false)).toEqual({
      ok: false,
      field: "channels",
      error: "channel webhook is not configured",
    });
  });
});

describe("stored rule", () => {
  it("reads back a rule, skipping channels it no longer knows and defaulting an unknown strategy", () => {
    expect(parseStoredRule({ primary: "webhook", fallbacks: ["fax", "email"], strategy: "health_based" })).toEqual({
      primary: "webhook",
      fallbacks: ["email"],
      strategy: "health_based",
    });
    expect(parseStoredRule({ primary: "email", fallbacks: [], strategy: "coin_toss" })).toEqual({
      primary: "email",
      fallbacks: [],
      strategy: "priority_order",
    });
  });

  it("is no rule without an object, a known primary and a fallback array", () => {
    for (const value of [null, "telegram", [], { primary: "fax", fallbacks: [] }, { primary: "telegram" }, { primary: "telegram", fallbacks: "email" }]) {
      expect(parseStoredRule(value), JSON.stringify(value)).toBeUndefined();
    }
  });
});

describe("channels to try", () => {
  const rule = (strategy: ChannelRule["strategy"], fallbacks: AlertChannel[] = ["webhook", "email"]): ChannelRule => ({
    primary: "telegram",
    fallbacks,
    strategy,
  });

  it("priority order: the primary, then the fallbacks, each once, only the usable ones", () => {
    expect(channelsToTry(rule("priority_order", ["webhook", "telegram", "email", "webhook"]), everyUsable)).toEqual([
      "telegram",
      "webhook",
      "email",
    ]);
    expect(channelsToTry(rule("priority_order"), { ...everyUsable, usable: (channel) => channel !== "webhook" })).toEqual(["telegram", "email"]);
    expect(channelsToTry(rule("priority_order"), { ...everyUsable, isOpen: () => true, rotation: 1 })).toEqual(["telegram", "webhook", "email"]);
  });

  it("round robin: the list rotated by the alert's turn", () => {
    const turn = (rotation: number) => channelsToTry(rule("round_robin"), { ...everyUsable, rotation });
    expect(turn(0)).toEqual(["telegram", "webhook", "email"]);
    expect(turn(1)).toEqual(["webhook", "email", "telegram"]);
    expect(turn(2)).toEqual(["email", "telegram", "webhook"]);
    expect(turn(4)).toEqual(["webhook", "email", "telegram"]);
    expect(channelsToTry(rule("round_robin"), { ...everyUsable, rotation: 3, usable: () => false })).toEqual([]);
  });

  it("health based: priority order without the channels whose breaker is open", () => {
    expect(channelsToTry(rule("health_based"), { ...everyUsable, isOpen: (channel) => channel === "telegram" })).toEqual(["webhook", "email"]);
    expect(channelsToTry(rule("health_based"), { ...everyUsable, isOpen: () => true })).toEqual([]);
  });
});
