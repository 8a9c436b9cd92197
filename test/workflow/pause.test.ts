import { describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { appState } from "../../src/db/schema.js";
import { PAUSE_KEY, PauseSwitch } from "../../src/workflow/pause.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";

const ADA = 1001;
const BOB = 1002;

describe.each(databaseTargets())("pause switch on $name", (target) => {
  const db = useTestDatabase(target, (db) => db.delete(appState).where(eq(appState.key, PAUSE_KEY)));

  it("is not paused when never set", async () => {
    const pause = new PauseSwitch(db());
    expect(await pause.state()).toEqual({ paused: false });
    expect(await pause.isPaused()).toBe(false);
  });

  it("persists a pause across a new instance (a restart)", async () => {
    const at = new Date("2025-03-01T10:00:00Z");
    const change = await new PauseSwitch(db()).pause(ADA, at);
    expect(change).toEqual({ changed: true, before: { paused: false }, after: { paused: true, by: ADA, at } });
    expect(await new PauseSwitch(db()).state()).toEqual({ paused: true, by: ADA, at });
  });

  it("says a second pause found it already paused, keeping who paused first", async () => {
    const pause = new PauseSwitch(db());
    const first = new Date("2025-03-01T10:00:00Z");
    await pause.pause(ADA, first);
    const again = await pause.pause(BOB, new Date("2025-03-01T11:00:00Z"));
    expect(again).toEqual({
      changed: false,
      before: { paused: true, by: ADA, at: first },
      after: { paused: true, by: ADA, at: first },
    });
  });

  it("resumes, reporting who paused and when", async () => {
    const pausedAt = new Date("2025-03-01T10:00:00Z");
    const resumedAt = new Date("2025-03-01T12:00:00Z");
    await new PauseSwitch(db()).pause(ADA, pausedAt);
    const change = await new PauseSwitch(db()).resume(BOB, resumedAt);
    expect(change).toEqual({
      changed: true,
      before: { paused: true, by: ADA, at: pausedAt },
      after: { paused: false, by: BOB, at: resumedAt },
    });
    expect(await new PauseSwitch(db()).state()).toEqual({ paused: false, by: BOB, at: resumedAt });
    expect((await new PauseSwitch(db()).resume(ADA)).changed).toBe(false);
  });

  it("lets only one of two simultaneous pauses make the change", async () => {
    const pause = new PauseSwitch(db());
    const changes = await Promise.all([pause.pause(ADA), new PauseSwitch(db()).pause(BOB)]);
    expect(changes.filter((change) => change.changed)).toHaveLength(1);
    const winner = changes.find((change) => change.changed)!;
    expect(await pause.state()).toEqual(winner.after);
  });

  it("records an anonymous admin's pause without a user", async () => {
    const at = new Date("2025-03-01T10:00:00Z");
    expect((await new PauseSwitch(db()).pause(null, at)).after).toEqual({ paused: true, at });
    expect(await new PauseSwitch(db()).state()).toEqual({ paused: true, at });
  });

  it("reads a bare boolean stored by an older build", async () => {
    // The key as older builds wrote it: it is stored data, not a name to change.
    await db().insert(appState).values({ key: "paused", value: true });
    expect(await new PauseSwitch(db()).state()).toEqual({ paused: true });
  });

  it("reads any other stored JSON as not paused, keeping only a numeric user and a valid time", async () => {
    const read = async (value: unknown) => {
      await db().delete(appState).where(eq(appState.key, PAUSE_KEY));
      await db().insert(appState).values({ key: PAUSE_KEY, value });
      return new PauseSwitch(db()).state();
    };
    expect(await read(1)).toEqual({ paused: false });
    expect(await read(sql`'null'::jsonb`)).toEqual({ paused: false });
    expect(await read({ paused: "true", by: "1001", at: 1 })).toEqual({ paused: false });
    expect(await read({ paused: true, by: ADA, at: "not a time" })).toEqual({ paused: true, by: ADA });
    expect(await read({ paused: true, at: "2025-03-01T10:00:00.000Z" })).toEqual({ paused: true, at: new Date("2025-03-01T10:00:00Z") });
  });
});
