/**
 * The multiple_failures counter's window is exact: a failure exactly one window old no longer
 * counts, one a millisecond younger still does; kinds are counted apart.
 */
import { describe, expect, it } from "vitest";
import { FailureCounter } from "../../src/alerts/failure-counter.js";
import { T0 } from "./support.js";

const at = (ms: number) => new Date(T0.getTime() + ms);

describe("failure counter window", () => {
  it("trips when the first failure is a millisecond inside the window, not when it is a window old", () => {
    const inside = new FailureCounter(2, 60_000);
    inside.record("x", at(0));
    expect(inside.count("x", at(59_999))).toBe(1);
    expect(inside.record("x", at(59_999))).toBe(2);

    const outside = new FailureCounter(2, 60_000);
    outside.record("x", at(0));
    expect(outside.count("x", at(60_000))).toBe(0);
    expect(outside.record("x", at(60_000))).toBeUndefined();
    expect(outside.count("x", at(60_000))).toBe(1);
  });

  it("counts each kind on its own and starts a tripped kind again from zero", () => {
    const counter = new FailureCounter(2, 60_000);
    counter.record("x", at(0));
    expect(counter.record("y", at(1))).toBeUndefined();
    expect(counter.count("y", at(1))).toBe(1);
    expect(counter.record("x", at(2))).toBe(2);
    expect(counter.count("x", at(2))).toBe(0);
    expect(counter.count("y", at(2))).toBe(1);
  });
});
