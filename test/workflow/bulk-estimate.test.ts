/** The publish window a bulk confirmation states: delays, gaps, hourly limits and quiet hours (in the bot's zone). */
import { describe, expect, it } from "vitest";
import { estimatePublishWindow } from "../../src/workflow/bulk/estimate.js";

const NOW = new Date("2026-06-01T10:00:00Z");
const SETTINGS = {
  minDelayMinutes: 1,
  maxDelayMinutes: 5,
  jitterSeconds: 0,
  quietHours: "",
  gapSeconds: { min: 30, max: 60 },
  maxPostsPerHour: 100,
  maxPostsPerDay: 1000,
};

describe("bulk publish window", () => {
  it("earliest after the shortest delay; latest after the longest delay and each account's gaps", () => {
    const window = estimatePublishWindow({ now: NOW, settings: SETTINGS, timeZone: "UTC", perAccount: [3, 10] });
    expect(window!.earliest.toISOString()).toBe("2026-06-01T10:01:00.000Z");
    // 5 min, then 9 gaps of 60 s for the busier account.
    expect(window!.latest.toISOString()).toBe("2026-06-01T10:14:00.000Z");
  });

  it("waits out the hourly limit, and moves posts that fall in quiet hours (read in the bot's zone) to their end", () => {
    const limited = estimatePublishWindow({ now: NOW, settings: { ...SETTINGS, maxPostsPerHour: 2 }, timeZone: "UTC", perAccount: [3] });
    // Posts at 10:05 and 10:06; the third waits an hour after the first.
    expect(limited!.latest.toISOString()).toBe("2026-06-01T11:05:00.000Z");
    // 12:00-13:00 in Berlin (UTC+2 in June) is 10:00-11:00 UTC: everything moves to 11:00 UTC.
    const quiet = estimatePublishWindow({ now: NOW, settings: { ...SETTINGS, quietHours: "12:00-13:00" }, timeZone: "Europe/Berlin", perAccount: [2] });
    expect(quiet!.earliest.toISOString()).toBe("2026-06-01T11:00:00.000Z");
    expect(quiet!.latest.toISOString()).toBe("2026-06-01T11:01:00.000Z");
  });

  it("holds a post past the daily limit until a day after the one that filled it", () => {
    const daily = estimatePublishWindow({ now: NOW, settings: { ...SETTINGS, maxPostsPerDay: 2 }, timeZone: "UTC", perAccount: [3] });
    // Posts at 10:05 and 10:06; the third waits a day after the first.
    expect(daily!.latest.toISOString()).toBe("2026-06-02T10:05:00.000Z");
  });

  it("latest is the busiest account's last post, whatever the order of the accounts", () => {
    const window = estimatePublishWindow({ now: NOW, settings: SETTINGS, timeZone: "UTC", perAccount: [10, 3] });
    expect(window!.latest.toISOString()).toBe("2026-06-01T10:14:00.000Z");
  });

  it("says nothing for a batch with nothing to publish", () => {
    expect(estimatePublishWindow({ now: NOW, settings: SETTINGS, timeZone: "UTC", perAccount: [0, 0] })).toBeUndefined();
  });
});
