import { describe, expect, it } from "vitest";
import { isDeadlineExceeded, withDeadline } from "../../src/resilience/deadline.js";

describe("withDeadline", () => {
  it("settles with the work when it answers in time", async () => {
    await expect(withDeadline(1_000, () => Promise.resolve(7))).resolves.toBe(7);
    const failure = new Error("peer said no");
    const rejected = await withDeadline(1_000, () => Promise.reject(failure)).catch((error: unknown) => error);
    expect(rejected).toBe(failure);
    expect(isDeadlineExceeded(rejected)).toBe(false);
  });

  it("rejects once the deadline passes even when the work ignores the signal, and aborts the signal", async () => {
    let seen: AbortSignal | undefined;
    const started = Date.now();
    const error = await withDeadline(50, (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    }).catch((caught: unknown) => caught);
    expect(isDeadlineExceeded(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(seen?.aborted).toBe(true);
  });
});
