import { describe, expect, it } from "vitest";
import { exponentialBackoffMs } from "../../src/resilience/backoff.js";

describe("exponentialBackoffMs", () => {
  it("doubles from the base after each failed try and stops at the cap", () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => exponentialBackoffMs(attempt, 30_000, 900_000))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 900_000,
    ]);
  });

  it("treats attempt 0 as the first and has no cap when given infinity", () => {
    expect(exponentialBackoffMs(0, 60_000, Number.POSITIVE_INFINITY)).toBe(60_000);
    expect(exponentialBackoffMs(8, 60_000, Number.POSITIVE_INFINITY)).toBe(60_000 * 128);
  });
});

describe("exponentialBackoffMs with a multiplier", () => {
  it("grows by the given factor (the dead-letter queue's setting) and still stops at the cap", () => {
    expect([1, 2, 3, 4].map((attempt) => exponentialBackoffMs(attempt, 60_000, 1_000_000, 3))).toEqual([
      60_000, 180_000, 540_000, 1_000_000,
    ]);
    expect(exponentialBackoffMs(3, 1_000, Number.POSITIVE_INFINITY, 1.5)).toBe(2_250);
  });
});
