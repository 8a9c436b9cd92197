/**
 * The alerting state in `alert_state`: admin rules by level (rows that are not a level's valid rule
 * are ignored), the enabled channels (unset until an admin sets them), and the worker lease that
 * one owner holds at a time until it runs out or is given back.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createAlertState, type AlertState } from "../../src/alerts/state.js";
import { alertState } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearAlertTables } from "./support.js";

const AT = 1_750_000_000_000;

describe.each(databaseTargets())("alert state ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let state: AlertState;

  beforeEach(() => {
    state = createAlertState(db());
  });

  it("keeps one rule per level, replaced by the next, and deleted back to none", async () => {
    await state.setRule("error", { primary: "webhook", fallbacks: [], strategy: "priority_order" });
    await state.setRule("error", { primary: "email", fallbacks: ["telegram"], strategy: "round_robin" });
    await state.setRule("info", { primary: "telegram", fallbacks: [], strategy: "health_based" });
    expect(await state.customRules()).toEqual({
      error: { primary: "email", fallbacks: ["telegram"], strategy: "round_robin" },
      info: { primary: "telegram", fallbacks: [], strategy: "health_based" },
    });
    expect(await state.deleteRule("error")).toBe(true);
    expect(await state.deleteRule("error")).toBe(false);
    expect(await state.deleteRule("critical")).toBe(false);
    expect(Object.keys(await state.customRules())).toEqual(["info"]);
  });

  it("ignores rule rows for an unknown level or with an unreadable rule, and rows that are not rules", async () => {
    await db().insert(alertState).values([
      { key: "rule:loud", value: { primary: "telegram", fallbacks: [] } },
      { key: "rule:warning", value: { primary: "pigeon", fallbacks: [] } },
      { key: "rules:error", value: { primary: "telegram", fallbacks: [] } },
      { key: "rule:critical", value: { primary: "webhook", fallbacks: [] } },
    ]);
    expect(await state.customRules()).toEqual({ critical: { primary: "webhook", fallbacks: [], strategy: "priority_order" } });
  });

  it("has no enabled channels until an admin sets them, then the known ones of the last set", async () => {
    expect(await state.enabledChannels()).toBeUndefined();
    await state.setEnabledChannels(["webhook", "telegram"]);
    await state.setEnabledChannels(["email"]);
    expect(await state.enabledChannels()).toEqual(["email"]);
    await db().update(alertState).set({ value: ["telegram", "fax"] });
    expect(await state.enabledChannels()).toEqual(["telegram"]);
    await db().update(alertState).set({ value: { telegram: true } });
    expect(await state.enabledChannels()).toBeUndefined();
  });

  it("reads the enabled channels and the lease from the rows as they are stored", async () => {
    await db().insert(alertState).values([
      { key: "channels", value: ["webhook"] },
      { key: "worker_lease", value: { owner: "earlier-process", until: AT + 1_000 } },
    ]);
    expect(await state.enabledChannels()).toEqual(["webhook"]);
    expect(await state.acquireLease("a", AT, AT + 5_000)).toBe(false);
    expect(await state.acquireLease("a", AT + 1_001, AT + 5_000)).toBe(true);
  });

  it("lets one owner hold the lease, renew it, and give it back; another takes it once it ran out", async () => {
    expect(await state.acquireLease("a", AT, AT + 1_000)).toBe(true);
    expect(await state.acquireLease("b", AT + 500, AT + 1_500)).toBe(false);
    expect(await state.acquireLease("a", AT + 500, AT + 2_000)).toBe(true); // renewed until +2 s
    expect(await state.acquireLease("b", AT + 1_999, AT + 3_000)).toBe(false);
    expect(await state.acquireLease("b", AT + 2_000, AT + 3_000)).toBe(false); // not before it has run out
    expect(await state.acquireLease("b", AT + 2_001, AT + 3_000)).toBe(true);

    await state.releaseLease("a"); // a no longer holds it: nothing happens
    expect(await state.acquireLease("a", AT + 2_002, AT + 4_000)).toBe(false);
    await state.releaseLease("b");
    expect(await state.acquireLease("a", AT + 2_002, AT + 4_000)).toBe(true);
  });
});
