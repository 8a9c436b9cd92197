import { describe, expect, it } from "vitest";
import { isDeadlineExceeded, settleBy, TimeoutError, withDeadline, withTimeout } from "../../src/resilience/deadline.js";

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

describe("withTimeout", () => {
  it("passes the work's own answer or rejection through untouched", async () => {
    await expect(withTimeout(Promise.resolve("pong"), 1_000, "database")).resolves.toBe("pong");
    const failure = new Error("refused");
    await expect(withTimeout(Promise.reject(failure), 1_000, "database")).rejects.toBe(failure);
  });

  it("a hung promise rejects with a TimeoutError naming what hung and the limit", async () => {
    const error = await withTimeout(new Promise<never>(() => undefined), 30, "database").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ what: "database", ms: 30, message: "database did not answer within 30 ms" });
  });
});

describe("settleBy", () => {
  it("is true when the work settles before the deadline, resolved or rejected", async () => {
    await expect(settleBy(Promise.resolve("done"), Date.now() + 1_000)).resolves.toBe(true);
    await expect(settleBy(Promise.reject(new Error("failed")), Date.now() + 1_000)).resolves.toBe(true);
  });

  it("is false once the deadline passes with the work still running, and a deadline already past does not wait", async () => {
    const never = new Promise<never>(() => undefined);
    const started = Date.now();
    await expect(settleBy(never, started + 50)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await expect(settleBy(never, started - 1_000)).resolves.toBe(false);
  });
});
