import { describe, expect, it } from "vitest";
import {
  computePublishTime,
  localDayStart,
  parseQuietHours,
  quietHoursEnd,
  type PublishTimeInput,
} from "../../src/workflow/schedule.js";

const MINUTE = 60_000;
const low = () => 0;
const high = () => 0.999;

/** A schedule with no delay, no jitter and no quiet hours in UTC, overridden per test. */
function publishAt(overrides: Partial<PublishTimeInput> & { now: Date }): Date {
  return computePublishTime({
    minDelayMinutes: 0,
    maxDelayMinutes: 0,
    jitterSeconds: 0,
    quietHours: "",
    timeZone: "UTC",
    random: low,
    ...overrides,
  });
}

describe("parseQuietHours", () => {
  it("reads a window, one wrapping midnight, and none", () => {
    expect(parseQuietHours("01:30-07:00")).toEqual({ startMinute: 90, endMinute: 420 });
    expect(parseQuietHours("22:00-07:00")).toEqual({ startMinute: 1320, endMinute: 420 });
    expect(parseQuietHours("")).toBeUndefined();
    expect(parseQuietHours("08:00-08:00")).toBeUndefined();
  });

  it("ignores surrounding blanks", () => {
    expect(parseQuietHours(" 22:00-07:00\n")).toEqual({ startMinute: 1320, endMinute: 420 });
    expect(parseQuietHours("   ")).toBeUndefined();
  });

  it("rejects malformed text", () => {
    expect(() => parseQuietHours("25:00-07:00")).toThrow(RangeError);
    expect(() => parseQuietHours("22-07")).toThrow(new RangeError('quiet hours must be HH:MM-HH:MM or empty, got "22-07"'));
    expect(() => parseQuietHours("122:00-07:00")).toThrow(RangeError);
    expect(() => parseQuietHours("22:00-07:001")).toThrow(RangeError);
  });
});

describe("computePublishTime", () => {
  const now = new Date("2024-06-12T12:00:00Z");

  it("is exactly now with no delay, no jitter and no quiet hours", () => {
    expect(publishAt({ now, random: high })).toEqual(now);
  });

  it("draws the delay within [min, max] minutes", () => {
    const settings = { now, minDelayMinutes: 15, maxDelayMinutes: 120 };
    expect(publishAt({ ...settings, random: low })).toEqual(new Date(now.getTime() + 15 * MINUTE));
    const latest = publishAt({ ...settings, random: high }).getTime() - now.getTime();
    expect(latest).toBe(Math.round((15 + 0.999 * 105) * MINUTE));
    expect(latest).toBeLessThanOrEqual(120 * MINUTE);
    expect(publishAt({ now, minDelayMinutes: 30, maxDelayMinutes: 30, random: high })).toEqual(
      new Date(now.getTime() + 30 * MINUTE),
    );
  });

  it("adds a jitter within [0, jitter] seconds", () => {
    expect(publishAt({ now, jitterSeconds: 300, random: low })).toEqual(now);
    expect(publishAt({ now, jitterSeconds: 300, random: high }).getTime() - now.getTime()).toBe(299_700);
  });

  it("draws the delay first and the jitter second", () => {
    const draws = [0, 0.5];
    const at = publishAt({ now, minDelayMinutes: 10, maxDelayMinutes: 20, jitterSeconds: 100, random: () => draws.shift()! });
    expect(at.getTime() - now.getTime()).toBe(10 * MINUTE + 50_000);
  });

  it("leaves an instant outside the quiet hours alone", () => {
    expect(publishAt({ now, quietHours: "00:00-07:00", random: high })).toEqual(now);
    expect(publishAt({ now, quietHours: "22:00-07:00", minDelayMinutes: 5, maxDelayMinutes: 5 })).toEqual(
      new Date(now.getTime() + 5 * MINUTE),
    );
  });

  it("moves an instant inside the quiet hours to their end, keeping the jitter", () => {
    const night = new Date("2024-06-12T02:00:00Z");
    expect(publishAt({ now: night, quietHours: "00:00-07:00" })).toEqual(new Date("2024-06-12T07:00:00Z"));
    expect(publishAt({ now: night, quietHours: "00:00-07:00", jitterSeconds: 600, random: high })).toEqual(
      new Date(Date.parse("2024-06-12T07:00:00Z") + 599_400),
    );
  });

  it("counts the delay before deciding: a delay into the quiet hours is moved too", () => {
    const evening = new Date("2024-06-12T23:30:00Z");
    const at = publishAt({ now: evening, quietHours: "00:00-07:00", minDelayMinutes: 60, maxDelayMinutes: 60 });
    expect(at).toEqual(new Date("2024-06-13T07:00:00Z"));
  });

  it("treats the window's start as quiet and its end as not", () => {
    expect(publishAt({ now: new Date("2024-06-12T22:00:00Z"), quietHours: "22:00-23:00" })).toEqual(
      new Date("2024-06-12T23:00:00Z"),
    );
    const end = new Date("2024-06-12T23:00:00Z");
    expect(publishAt({ now: end, quietHours: "22:00-23:00" })).toEqual(end);
    const duringEndMinute = new Date("2024-06-12T23:00:30Z");
    expect(publishAt({ now: duringEndMinute, quietHours: "22:00-23:00" })).toEqual(duringEndMinute);
    const beforeStart = new Date("2024-06-12T21:59:00Z");
    expect(publishAt({ now: beforeStart, quietHours: "22:00-23:00" })).toEqual(beforeStart);
  });

  it("handles a window wrapping midnight, before and after midnight", () => {
    const quiet = { quietHours: "22:00-07:00" };
    expect(publishAt({ now: new Date("2024-06-12T22:00:00Z"), ...quiet })).toEqual(new Date("2024-06-13T07:00:00Z"));
    expect(publishAt({ now: new Date("2024-06-12T23:15:00Z"), ...quiet })).toEqual(new Date("2024-06-13T07:00:00Z"));
    const duringEndMinute = new Date("2024-06-13T07:00:30Z");
    expect(publishAt({ now: duringEndMinute, ...quiet })).toEqual(duringEndMinute);
    expect(publishAt({ now: new Date("2024-06-13T03:00:00Z"), ...quiet })).toEqual(new Date("2024-06-13T07:00:00Z"));
    expect(publishAt({ now: new Date("2024-06-30T22:30:00Z"), ...quiet })).toEqual(new Date("2024-07-01T07:00:00Z"));
    expect(publishAt({ now: new Date("2024-12-31T22:30:00Z"), ...quiet })).toEqual(new Date("2025-01-01T07:00:00Z"));
  });

  it("reads the quiet hours on the wall clock of the time zone", () => {
    // 21:30 UTC is 23:30 in Berlin (CEST, +2) and inside 22:00-07:00 there; it ends at 05:00 UTC.
    const input = { now: new Date("2024-06-12T21:30:00Z"), quietHours: "22:00-07:00" };
    expect(publishAt({ ...input, timeZone: "Europe/Berlin" })).toEqual(new Date("2024-06-13T05:00:00Z"));
    expect(publishAt({ ...input, timeZone: "UTC" })).toEqual(input.now);
    // Kolkata is +05:30: 17:00 UTC is 22:30 IST, and 07:00 IST is 01:30 UTC.
    expect(publishAt({ now: new Date("2024-01-01T17:00:00Z"), quietHours: "22:00-07:00", timeZone: "Asia/Kolkata" })).toEqual(
      new Date("2024-01-02T01:30:00Z"),
    );
    expect(publishAt({ now: new Date("2024-01-01T16:29:00Z"), quietHours: "22:00-07:00", timeZone: "Asia/Kolkata" })).toEqual(
      new Date("2024-01-01T16:29:00Z"),
    );
  });

  describe("across DST changes in Europe/Berlin", () => {
    const berlin = { timeZone: "Europe/Berlin" };

    it("ends a night window at 07:00 CEST after the March change (05:00 UTC, not 06:00)", () => {
      // 2024-03-31: clocks go 02:00 CET → 03:00 CEST. 23:00 CET the evening before is 22:00 UTC.
      const at = publishAt({ now: new Date("2024-03-30T22:00:00Z"), quietHours: "22:00-07:00", ...berlin });
      expect(at).toEqual(new Date("2024-03-31T05:00:00Z"));
    });

    it("ends a night window at 07:00 CET after the October change (06:00 UTC, not 05:00)", () => {
      // 2024-10-27: clocks go 03:00 CEST → 02:00 CET. 23:00 CEST the evening before is 21:00 UTC.
      const at = publishAt({ now: new Date("2024-10-26T21:00:00Z"), quietHours: "22:00-07:00", ...berlin });
      expect(at).toEqual(new Date("2024-10-27T06:00:00Z"));
    });

    it("ends a window whose end is skipped in March at the first instant after the gap", () => {
      // 02:30 does not exist on 2024-03-31; the wall clock jumps to 03:00 CEST = 01:00 UTC.
      const at = publishAt({ now: new Date("2024-03-30T23:30:00Z"), quietHours: "00:00-02:30", ...berlin });
      expect(at).toEqual(new Date("2024-03-31T01:00:00Z"));
    });

    it("ends a window whose end happens twice in October at the next occurrence", () => {
      // 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
      const quiet = { quietHours: "00:00-02:30", ...berlin };
      expect(publishAt({ now: new Date("2024-10-27T00:10:00Z"), ...quiet })).toEqual(new Date("2024-10-27T00:30:00Z"));
      expect(publishAt({ now: new Date("2024-10-27T01:10:00Z"), ...quiet })).toEqual(new Date("2024-10-27T01:30:00Z"));
    });
  });

  it("ends a window in New York at 03:30 EDT on the March change day (07:30 UTC)", () => {
    // 2024-03-10: clocks go 02:00 EST → 03:00 EDT (07:00 UTC); 01:00 EST is 06:00 UTC. West of UTC, the
    // offset that holds at the window's end is the one after the change.
    const at = publishAt({ now: new Date("2024-03-10T06:00:00Z"), quietHours: "00:00-03:30", timeZone: "America/New_York" });
    expect(at).toEqual(new Date("2024-03-10T07:30:00Z"));
  });
});

describe("quietHoursEnd", () => {
  it("is the end of the window an instant lies in, and undefined outside it or with no window", () => {
    const night = new Date("2024-06-12T23:15:00Z");
    expect(quietHoursEnd(night, "22:00-07:00", "UTC")).toEqual(new Date("2024-06-13T07:00:00Z"));
    expect(quietHoursEnd(night, "22:00-07:00", "Europe/Berlin")).toEqual(new Date("2024-06-13T05:00:00Z"));
    expect(quietHoursEnd(new Date("2024-06-12T12:00:00Z"), "22:00-07:00", "UTC")).toBeUndefined();
    expect(quietHoursEnd(night, "", "UTC")).toBeUndefined();
  });
});

describe("localDayStart", () => {
  it("is local midnight", () => {
    expect(localDayStart(new Date("2024-06-12T12:00:00Z"), "UTC")).toEqual(new Date("2024-06-12T00:00:00Z"));
    expect(localDayStart(new Date("2024-06-12T23:00:00Z"), "Europe/Berlin")).toEqual(new Date("2024-06-12T22:00:00Z"));
    expect(localDayStart(new Date("2024-01-01T12:00:00Z"), "Asia/Kolkata")).toEqual(new Date("2023-12-31T18:30:00Z"));
    expect(localDayStart(new Date("2024-01-01T19:00:00Z"), "Asia/Kolkata")).toEqual(new Date("2024-01-01T18:30:00Z"));
  });

  it("is right on the days of a DST change", () => {
    expect(localDayStart(new Date("2024-03-31T12:00:00Z"), "Europe/Berlin")).toEqual(new Date("2024-03-30T23:00:00Z"));
    expect(localDayStart(new Date("2024-10-27T12:00:00Z"), "Europe/Berlin")).toEqual(new Date("2024-10-26T22:00:00Z"));
    // Santiago skipped midnight on 2024-09-08: the day began at 01:00 (-03) = 04:00 UTC.
    expect(localDayStart(new Date("2024-09-08T12:00:00Z"), "America/Santiago")).toEqual(new Date("2024-09-08T04:00:00Z"));
  });
});
