import { describe, expect, it } from "vitest";
import {
  formatDateTime,
  formatDay,
  formatLocalClock,
  formatLocalTime,
  formatTimestamp,
  formatUptime,
  wallClock,
} from "../../src/text/time.js";

describe("formatLocalTime", () => {
  const at = new Date("2024-11-24T13:05:00Z");

  it("shows only the time on the same local day", () => {
    expect(formatLocalTime(at, "Europe/Berlin", new Date("2024-11-23T23:30:00Z"))).toBe("14:05 (Europe/Berlin)");
    expect(formatLocalTime(at, "Asia/Kolkata", new Date("2024-11-24T00:00:00Z"))).toBe("18:35 (Asia/Kolkata)");
  });

  it("adds weekday, day and month on another local day", () => {
    expect(formatLocalTime(at, "Europe/Berlin", new Date("2024-11-23T22:30:00Z"))).toBe("Sun 24 Nov 14:05 (Europe/Berlin)");
    expect(formatLocalTime(new Date("2024-09-03T00:05:00Z"), "UTC", at)).toBe("Tue 3 Sep 00:05 (UTC)");
  });
});

describe("formatLocalClock", () => {
  const at = new Date("2024-11-24T13:05:09Z");

  it("shows the seconds and the zone on the same local day", () => {
    expect(formatLocalClock(at, "Europe/Berlin", at)).toBe("14:05:09 (Europe/Berlin)");
    expect(formatLocalClock(at, "UTC", at)).toBe("13:05:09 (UTC)");
    expect(formatLocalClock(at, "Asia/Kolkata", at)).toBe("18:35:09 (Asia/Kolkata)");
  });

  it("adds the day when the instant lies on another local day", () => {
    expect(formatLocalClock(at, "Europe/Berlin", new Date("2024-11-25T12:00:00Z"))).toBe("Sun 24 Nov 14:05:09 (Europe/Berlin)");
  });
});

describe("formatTimestamp", () => {
  it("is a zero-padded local date and time with the seconds and the zone", () => {
    expect(formatTimestamp(new Date("2025-07-01T12:00:05Z"), "Europe/Berlin")).toBe("2025-07-01 14:00:05 (Europe/Berlin)");
    expect(formatTimestamp(new Date("2025-01-05T23:30:00Z"), "Asia/Kolkata")).toBe("2025-01-06 05:00:00 (Asia/Kolkata)");
  });

  it("reads midnight as 00, never 24", () => {
    expect(formatTimestamp(new Date("2025-03-02T23:00:00Z"), "Europe/Berlin")).toBe("2025-03-03 00:00:00 (Europe/Berlin)");
  });
});

describe("formatDateTime", () => {
  it("gives day, month, year and minutes in the zone", () => {
    expect(formatDateTime(new Date("2025-03-03T13:05:00Z"), "Europe/Berlin")).toBe("3 Mar 2025, 14:05 (Europe/Berlin)");
    expect(formatDateTime(new Date("2024-12-31T23:30:00Z"), "Europe/Berlin")).toBe("1 Jan 2025, 00:30 (Europe/Berlin)");
  });
});

describe("formatDay", () => {
  it("is the local calendar day, which may differ from the UTC one", () => {
    expect(formatDay(new Date("2024-11-24T13:05:00Z"), "UTC")).toBe("Sun 24 Nov");
    expect(formatDay(new Date("2024-11-24T23:05:00Z"), "Europe/Berlin")).toBe("Mon 25 Nov");
  });
});

describe("wallClock", () => {
  it("follows daylight saving time", () => {
    expect(wallClock(Date.parse("2024-07-01T12:00:00Z"), "Europe/Berlin")).toMatchObject({ hour: 14, month: 7 });
    expect(wallClock(Date.parse("2024-12-01T12:00:00Z"), "Europe/Berlin")).toMatchObject({ hour: 13, weekday: "Sun" });
  });
});

describe("formatUptime", () => {
  it("shows the two largest units", () => {
    expect(formatUptime(61)).toBe("1m 1s");
    expect(formatUptime(2 * 3_600 + 5 * 60 + 9)).toBe("2h 5m");
    expect(formatUptime(3 * 86_400 + 4 * 3_600 + 59)).toBe("3d 4h");
  });
});
