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
