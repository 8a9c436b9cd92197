import { describe, expect, it } from "vitest";
import { SlidingWindowLimit } from "../../src/resilience/sliding-window.js";

describe("SlidingWindowLimit", () => {
  it("allows `limit` calls in any window and frees a slot when the oldest call leaves it", () => {
    const limit = new SlidingWindowLimit(3, 60_000);
    for (const at of [0, 10_000, 20_000]) {
      expect(limit.freeAt(at)).toBeUndefined();
      limit.note(at);
    }
    expect(limit.freeAt(30_000)).toBe(60_000);
    expect(limit.freeAt(59_999)).toBe(60_000);
    expect(limit.freeAt(60_000)).toBeUndefined();
    limit.note(60_000);
    expect(limit.freeAt(60_000)).toBe(70_000);
  });
});
