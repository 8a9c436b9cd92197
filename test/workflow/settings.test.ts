import { beforeEach, describe, expect, it } from "vitest";
import { settings, settingsAudit } from "../../src/db/schema.js";
import { SETTING_DEFINITIONS, SETTING_KEYS, SettingsStore } from "../../src/workflow/settings.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { SETTINGS_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const DEFAULTS = SETTINGS_TEST_DEFAULTS;
const ADA = 1001;
const BOB = 1002;

describe("setting definitions", () => {
  const parse = (key: keyof typeof SETTING_DEFINITIONS, raw: string) => SETTING_DEFINITIONS[key].parse(raw);

  it("parse every valid form", () => {
    expect(parse("persona", "  Be brief and kind.  ")).toEqual({ ok: true, value: "Be brief and kind." });
    expect(parse("min_delay", "0")).toEqual({ ok: true, value: 0 });
    expect(parse("max_delay", "1440")).toEqual({ ok: true, value: 1440 });
    expect(parse("jitter", "3600")).toEqual({ ok: true, value: 3600 });
    expect(parse("quiet_hours", "22:00-07:00")).toEqual({ ok: true, value: "22:00-07:00" });
    expect(parse("quiet_hours", "7:00 - 9:30")).toEqual({ ok: true, value: "07:00-09:30" });
    expect(parse("quiet_hours", "off")).toEqual({ ok: true, value: "" });
    expect(parse("quiet_hours", "None")).toEqual({ ok: true, value: "" });
    expect(parse("gap", "45")).toEqual({ ok: true, value: { min: 45, max: 45 } });
    expect(parse("gap", "10-3600")).toEqual({ ok: true, value: { min: 10, max: 3600 } });
    expect(parse("max_per_hour", "1")).toEqual({ ok: true, value: 1 });
    expect(parse("max_per_day", "10000")).toEqual({ ok: true, value: 10_000 });
    expect(parse("gatekeeper", "ON")).toEqual({ ok: true, value: true });
    expect(parse("gatekeeper", "false")).toEqual({ ok: true, value: false });
    expect(parse("gatekeeper_min_score", "0.75")).toEqual({ ok: true, value: 0.75 });
    expect(parse("gatekeeper_min_score", "1")).toEqual({ ok: true, value: 1 });
  });

  it("reject invalid text with one line naming the valid form", () => {
    const invalid: [keyof typeof SETTING_DEFINITIONS, string][] = [
      ["persona", "too short"],
      ["persona", "x".repeat(2001)],
      ["min_delay", "-1"],
      ["min_delay", "1441"],
      ["max_delay", "1.5"],
      ["jitter", "3601"],
      ["quiet_hours", "24:00-07:00"],
      ["quiet_hours", "08:00-08:00"],
      ["quiet_hours", "night"],
      ["gap", "90-30"],
      ["gap", "3601"],
      ["gap", "a-b"],
      ["max_per_hour", "0"],
      ["max_per_day", "10001"],
      ["gatekeeper", "maybe"],
      ["gatekeeper_min_score", "1.01"],
      ["gatekeeper_min_score", "-0.1"],
    ];
    for (const [key, raw] of invalid) {
      const result = parse(key, raw);
      expect(result, `${key} ${raw}`).toEqual({ ok: false, error: expect.stringContaining(key) });
      if (!result.ok) expect(result.error).not.toContain("\n");
    }
  });
});

describe.each(databaseTargets())("settings store on $name", (target) => {
  // One database for the file (creating one costs about a second); each test starts from empty tables.
  const db = useTestDatabase(target, async (db) => {
    await db.delete(settings);
    await db.delete(settingsAudit);
  });
  let store: SettingsStore;

  beforeEach(() => {
    store = new SettingsStore(db(), DEFAULTS);
  });

  it("starts from the defaults", async () => {
    expect(await store.current()).toEqual(DEFAULTS);
    expect(await store.history()).toEqual([]);
  });

  it("sets a value, stores it with who and when, and audits old and new", async () => {
    const result = await store.set("min_delay", "30", ADA);
    expect(result).toEqual({ ok: true, value: { ...DEFAULTS, minDelayMinutes: 30 } });
    expect(await store.current()).toEqual({ ...DEFAULTS, minDelayMinutes: 30 });

    expect(await db().select().from(settings)).toEqual([
      { key: "min_delay", value: 30, updatedBy: ADA, updatedAt: expect.any(Date) },
    ]);
    expect(await db().select().from(settingsAudit)).toEqual([
      { id: expect.any(Number), key: "min_delay", oldValue: 15, newValue: 30, changedBy: ADA, changedAt: expect.any(Date) },
    ]);

    await store.set("min_delay", "45", BOB);
    expect(await db().select().from(settings)).toEqual([
      { key: "min_delay", value: 45, updatedBy: BOB, updatedAt: expect.any(Date) },
    ]);
    expect(await store.history()).toEqual([
      expect.objectContaining({ key: "min_delay", oldValue: "30", newValue: "45", changedBy: BOB }),
      expect.objectContaining({ key: "min_delay", oldValue: "15", newValue: "30", changedBy: ADA }),
    ]);
  });

  it("stores every kind of value and reads it back in a new process", async () => {
    const changes: Record<string, string> = {
      persona: "Answer like a pirate, briefly.",
      max_delay: "200",
      jitter: "10",
      quiet_hours: "off",
      gap: "5-20",
      max_per_hour: "3",
      max_per_day: "9",
      gatekeeper: "on",
      gatekeeper_min_score: "0.8",
    };
    for (const [key, raw] of Object.entries(changes)) {
      expect(await store.set(key, raw, ADA), key).toMatchObject({ ok: true });
    }
    const expected = {
      ...DEFAULTS,
      persona: "Answer like a pirate, briefly.",
      maxDelayMinutes: 200,
      jitterSeconds: 10,
      quietHours: "",
      gapSeconds: { min: 5, max: 20 },
      maxPostsPerHour: 3,
      maxPostsPerDay: 9,
      gatekeeperEnabled: true,
      gatekeeperMinScore: 0.8,
    };
    expect(await new SettingsStore(db(), DEFAULTS).current()).toEqual(expected);
    const history = await store.history(20);
    expect(history.map((change) => [change.key, change.newValue])).toEqual(
      Object.entries(changes).map(([key, raw]) => [key, raw]).reverse(),
    );
  });

  it("reads back a persona that is itself JSON text exactly as typed", async () => {
    // The driver decodes jsonb already; a second decode turned these into a number, a shorter string and an array.
    for (const persona of ["1234567890", '"Be brief and kind."', '["be kind", "be brief"]']) {
      expect(await store.set("persona", persona, ADA), persona).toMatchObject({ ok: true });
      expect((await new SettingsStore(db(), DEFAULTS).current()).persona, persona).toBe(persona);
      expect((await store.history(1))[0]?.newValue, persona).toBe(persona);
    }
  });

  it("writes nothing for an unknown key or an invalid value", async () => {
    await store.set("jitter", "60", ADA);
    const auditBefore = await db().select().from(settingsAudit);
    const settingsBefore = await db().select().from(settings);

    const unknown = await store.set("colour", "blue", ADA);
    expect(unknown).toEqual({ ok: false, error: expect.stringContaining(SETTING_KEYS.join(", ")) });
    expect(await store.set("jitter", "a lot", ADA)).toEqual({ ok: false, error: expect.stringContaining("jitter") });
    expect(await store.set("gap", "9-1", ADA)).toMatchObject({ ok: false });
    expect(await store.reset("colour", ADA)).toMatchObject({ ok: false });

    expect(await db().select().from(settingsAudit)).toEqual(auditBefore);
    expect(await db().select().from(settings)).toEqual(settingsBefore);
    expect(await store.current()).toEqual({ ...DEFAULTS, jitterSeconds: 60 });
  });

  it("keeps min_delay ≤ max_delay, checked against the other value in force", async () => {
    const tooHigh = await store.set("min_delay", "121", ADA);
    expect(tooHigh).toEqual({ ok: false, error: "min_delay (121) must not exceed max_delay (120)" });
    expect(await store.set("max_delay", "14", ADA)).toEqual({
      ok: false,
      error: "min_delay (15) must not exceed max_delay (14)",
    });
    expect(await db().select().from(settingsAudit)).toEqual([]);

    expect(await store.set("max_delay", "20", ADA)).toMatchObject({ ok: true });
    expect(await store.set("min_delay", "20", ADA)).toMatchObject({ ok: true });
    expect(await store.set("min_delay", "21", ADA)).toMatchObject({ ok: false });
    expect(await store.current()).toMatchObject({ minDelayMinutes: 20, maxDelayMinutes: 20 });
  });

  it("checks against a value another replica changed, not a stale cache", async () => {
    expect(await store.current()).toEqual(DEFAULTS);
    const otherReplica = new SettingsStore(db(), DEFAULTS);
    await otherReplica.set("max_delay", "30", BOB);
    expect(await store.set("min_delay", "40", ADA)).toEqual({
      ok: false,
      error: "min_delay (40) must not exceed max_delay (30)",
    });
    // A successful change refreshes the cache with everything stored, including the other replica's change.
    expect(await store.set("jitter", "1", ADA)).toMatchObject({ ok: true });
    expect(await store.current()).toMatchObject({ maxDelayMinutes: 30, jitterSeconds: 1 });
  });

  it("lets only one of two conflicting changes made at once through", async () => {
    const otherReplica = new SettingsStore(db(), DEFAULTS);
    const results = await Promise.all([store.set("min_delay", "100", ADA), otherReplica.set("max_delay", "50", BOB)]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    const final = await new SettingsStore(db(), DEFAULTS).current();
    expect(final.minDelayMinutes).toBeLessThanOrEqual(final.maxDelayMinutes);
    expect(await store.history()).toHaveLength(1);
  });

  it("reads the database once, then serves the cache until a change refreshes it", async () => {
    expect((await store.current()).maxPostsPerDay).toBe(50);
    // Written behind the store's back: the cached value stays.
    await db().insert(settings).values({ key: "max_per_day", value: 7 });
    expect((await store.current()).maxPostsPerDay).toBe(50);

    await store.set("max_per_hour", "2", ADA);
    expect(await store.current()).toMatchObject({ maxPostsPerDay: 7, maxPostsPerHour: 2 });
  });

  it("ignores stored rows of unknown keys or with invalid values", async () => {
    await db().insert(settings).values([
      { key: "retired_setting", value: 1 },
      { key: "jitter", value: "sixty" },
      { key: "gap", value: { min: 90, max: 30 } },
      { key: "max_per_day", value: 8 },
    ]);
    expect(await store.current()).toEqual({ ...DEFAULTS, maxPostsPerDay: 8 });
  });

  it("resets a setting to the default, deleting its row and auditing the change", async () => {
    await store.set("quiet_hours", "22:00-06:00", ADA);
    const result = await store.reset("quiet_hours", BOB);
    expect(result).toEqual({ ok: true, value: DEFAULTS });
    expect(await store.current()).toEqual(DEFAULTS);
    expect(await db().select().from(settings)).toEqual([]);
    expect(await store.history(1)).toEqual([
      expect.objectContaining({ key: "quiet_hours", oldValue: "22:00-06:00", newValue: "00:00-07:00", changedBy: BOB }),
    ]);
  });

  it("refuses a reset that would break min_delay ≤ max_delay", async () => {
    await store.set("min_delay", "5", ADA);
    await store.set("max_delay", "10", ADA);
    expect(await store.reset("min_delay", ADA)).toEqual({
      ok: false,
      error: "min_delay (15) must not exceed max_delay (10)",
    });
    expect(await store.history()).toHaveLength(2);
  });

  it("returns the latest changes first, limited", async () => {
    for (const value of ["1", "2", "3", "4"]) await store.set("jitter", value, ADA);
    const latest = await store.history(3);
    expect(latest.map((change) => change.newValue)).toEqual(["4", "3", "2"]);
    expect(latest[0]).toEqual({
      id: expect.any(Number),
      key: "jitter",
      oldValue: "3",
      newValue: "4",
      changedBy: ADA,
      changedAt: expect.any(Date),
    });
  });
});
