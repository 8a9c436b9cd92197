/**
 * /settings at its edges: what an admin may type for each setting (spaces, signs, exponents, a trailing word), the
 * hand-edited or older rows the store ignores, how a change reads back in the audit, and a failed read that must
 * not stick. Companion of settings.test.ts (issue 8 mutants).
 */
import { describe, expect, it } from "vitest";
import { settings, settingsAudit } from "../../src/db/schema.js";
import { formatSetting, SETTING_DEFINITIONS, SettingsStore } from "../../src/workflow/settings.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { failingBuilder } from "../support/failing-builder.js";
import { SETTINGS_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const DEFAULTS = SETTINGS_TEST_DEFAULTS;
const ADA = 1001;

describe("setting definitions at their edges", () => {
  const parse = (key: keyof typeof SETTING_DEFINITIONS, raw: string) => SETTING_DEFINITIONS[key].parse(raw);
  const decode = (key: keyof typeof SETTING_DEFINITIONS, json: unknown) => SETTING_DEFINITIONS[key].decode(json);

  it("take a whole number only as plain digits, with spaces around it, within its bounds", () => {
    expect(parse("min_delay", " 30 ")).toEqual({ ok: true, value: 30 });
    for (const raw of ["+5", "1e3", "0x10", "5 minutes", "about 5"]) {
      expect(parse("min_delay", raw), raw).toEqual({ ok: false, error: "min_delay must be a whole number of minutes from 0 to 1440" });
    }
    expect(SETTING_DEFINITIONS.max_per_day.format(10_000)).toBe("10000");
  });

  it("ignore a stored whole number that is fractional or out of bounds", () => {
    expect([1.5, -1, 3601, "60", 0, 3600].map((json) => decode("jitter", json))).toEqual([undefined, undefined, undefined, undefined, 0, 3600]);
    expect([0, 1].map((json) => decode("max_per_hour", json))).toEqual([undefined, 1]);
  });

  it("take a persona of 10 to 2000 characters, and ignore a stored one outside them or not text", () => {
    expect(parse("persona", "0123456789")).toEqual({ ok: true, value: "0123456789" });
    expect(parse("persona", "p".repeat(2000))).toEqual({ ok: true, value: "p".repeat(2000) });
    expect(parse("persona", "012345678")).toEqual({ ok: false, error: "persona must be 10–2000 characters of text" });
    const tenItems = Array.from({ length: 10 }, () => "x");
    expect(["short one", "q".repeat(2001), 1234567890, tenItems].map((json) => decode("persona", json))).toEqual([undefined, undefined, undefined, undefined]);
    expect(["0123456789", "r".repeat(2000)].map((json) => decode("persona", json))).toEqual(["0123456789", "r".repeat(2000)]);
  });

  it("take quiet hours only as a whole HH:MM-HH:MM, and ignore a stored window that is not one", () => {
    expect(parse("quiet_hours", " 22:00 -07:00 ")).toEqual({ ok: true, value: "22:00-07:00" });
    for (const raw of ["22:00-07:00 daily", "from 22:00-07:00", "22:00-", "25:00-01:00"]) {
      expect(parse("quiet_hours", raw), raw).toEqual({ ok: false, error: "quiet_hours must be HH:MM-HH:MM (24 h, start ≠ end) or off" });
    }
    expect(["25:00-01:00", 2200, "", "21:30-06:00"].map((json) => decode("quiet_hours", json))).toEqual([undefined, undefined, "", "21:30-06:00"]);
    expect(["", "21:30-06:00"].map((value) => SETTING_DEFINITIONS.quiet_hours.format(value))).toEqual(["off", "21:30-06:00"]);
  });

  it("take a gap as N or N-M with spaces around, and ignore a stored gap that is not two numbers in order", () => {
    expect(parse("gap", " 5 - 20 ")).toEqual({ ok: true, value: { min: 5, max: 20 } });
    expect(parse("gap", "7-7")).toEqual({ ok: true, value: { min: 7, max: 7 } });
    for (const raw of ["5-20s", "x5", "5--20", "-5"]) expect(parse("gap", raw), raw).toEqual({ ok: false, error: expect.stringContaining("gap must be") });
    const stored = [{ min: "5", max: "20" }, { min: 5, max: "20" }, { min: "5", max: 20 }, { min: 5 }, { max: 5 }, 30, null, { min: 20, max: 5 }];
    expect(stored.map((json) => decode("gap", json))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(decode("gap", { min: 0, max: 3600 })).toEqual({ min: 0, max: 3600 });
    expect([{ min: 45, max: 45 }, { min: 5, max: 20 }].map((value) => SETTING_DEFINITIONS.gap.format(value))).toEqual(["45", "5-20"]);
  });

  it("take the gatekeeper as on, true, off or false, and ignore a stored one that is not a boolean", () => {
    expect(["true", " off ", "on", "FALSE"].map((raw) => parse("gatekeeper", raw))).toEqual([
      { ok: true, value: true },
      { ok: true, value: false },
      { ok: true, value: true },
      { ok: true, value: false },
    ]);
    expect(parse("gatekeeper", "yes")).toEqual({ ok: false, error: "gatekeeper must be on or off" });
    expect(["on", 1, true, false].map((json) => decode("gatekeeper", json))).toEqual([undefined, undefined, true, false]);
    expect([true, false].map((value) => SETTING_DEFINITIONS.gatekeeper.format(value))).toEqual(["on", "off"]);
  });

  it("take a gatekeeper score as a plain decimal from 0 to 1, and ignore a stored one outside it", () => {
    const typed = [".5", "0", " 1. ", "0.25", ".55", "01"];
    expect(typed.map((raw) => parse("gatekeeper_min_score", raw))).toEqual([0.5, 0, 1, 0.25, 0.55, 1].map((value) => ({ ok: true, value })));
    const refusal = { ok: false, error: "gatekeeper_min_score must be a number from 0 to 1, e.g. 0.5" };
    expect(["0.5x", "x0.5", ".", "5e-1"].map((raw) => parse("gatekeeper_min_score", raw))).toEqual([refusal, refusal, refusal, refusal]);
    expect([1.5, -0.5, "0.7", 0, 1].map((json) => decode("gatekeeper_min_score", json))).toEqual([undefined, undefined, undefined, 0, 1]);
  });
});

describe.each(databaseTargets())("settings at their edges on $name", (target) => {
  const db = useTestDatabase(target, async (handle) => {
    await handle.delete(settings);
    await handle.delete(settingsAudit);
  });
  const store = () => new SettingsStore(db(), DEFAULTS);

  it("reads a stored value back whatever its shape, and ignores a hand-edited one its setting does not take", async () => {
    await db()
      .insert(settings)
      .values([
        { key: "quiet_hours", value: "" },
        { key: "gap", value: { min: "5", max: "20" } },
        { key: "gatekeeper_min_score", value: 0 },
        { key: "persona", value: "short one" },
      ]);
    expect(await store().current()).toEqual({ ...DEFAULTS, quietHours: "", gatekeeperMinScore: 0 });
  });

  it("shows each value in the audit as an admin would type it", async () => {
    const settingsStore = store();
    await settingsStore.set("gap", "45", ADA);
    await settingsStore.set("gatekeeper", "off", ADA);
    await settingsStore.set("quiet_hours", "off", ADA);
    expect((await settingsStore.history()).map((change) => [change.key, change.oldValue, change.newValue])).toEqual([
      ["quiet_hours", "00:00-07:00", "off"],
      ["gatekeeper", "off", "off"],
      ["gap", "30-90", "45"],
    ]);
    const values = await settingsStore.current();
    expect([formatSetting("gap", values), formatSetting("quiet_hours", values), formatSetting("gatekeeper", { ...values, gatekeeperEnabled: true })]).toEqual([
      "45",
      "off",
      "on",
    ]);
  });

  it("shows an audited value of a retired key, or one its setting no longer takes, as stored; no old value as none", async () => {
    await db()
      .insert(settingsAudit)
      .values([
        { key: "retired_setting", oldValue: 1, newValue: { on: true }, changedBy: ADA },
        { key: "jitter", oldValue: null, newValue: "sixty", changedBy: ADA },
      ]);
    expect((await store().history()).map((change) => [change.key, change.oldValue, change.newValue])).toEqual([
      ["jitter", undefined, '"sixty"'],
      ["retired_setting", "1", '{"on":true}'],
    ]);
  });

  it("tells the other replicas after a change commits, and not after a refused one", async () => {
    let told = 0;
    const settingsStore = new SettingsStore(db(), DEFAULTS, { onChange: () => void told++ });
    await settingsStore.set("jitter", "lots", ADA);
    await settingsStore.set("min_delay", "500", ADA);
    expect(told).toBe(0);
    await settingsStore.set("jitter", "10", ADA);
    await settingsStore.reset("jitter", ADA);
    expect(told).toBe(2);
  });

  it("keeps what it read until told another replica changed it; its defaults are the environment's", async () => {
    const here = store();
    const elsewhere = store();
    expect((await here.current()).jitterSeconds).toBe(DEFAULTS.jitterSeconds);
    expect(await elsewhere.set("jitter", String(DEFAULTS.jitterSeconds + 7), ADA)).toMatchObject({ ok: true });
    expect((await here.current()).jitterSeconds).toBe(DEFAULTS.jitterSeconds);
    here.invalidate();
    expect((await here.current()).jitterSeconds).toBe(DEFAULTS.jitterSeconds + 7);
    expect(here.defaultValues()).toEqual(DEFAULTS);
  });

  it("reads the database again after a failed read instead of keeping the failure", async () => {
    const real = db();
    // The first read fails (the database is away for a moment); the next one reaches it.
    const flaky = failingBuilder(real, "select", () => new Error("connection lost"));
    flaky.fail();
    await real.insert(settings).values({ key: "jitter", value: 12 });
    const settingsStore = new SettingsStore(flaky.db, DEFAULTS);
    await expect(settingsStore.current()).rejects.toThrow("connection lost");
    expect((await settingsStore.current()).jitterSeconds).toBe(12);
  });
});
