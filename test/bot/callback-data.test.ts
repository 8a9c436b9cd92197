import { describe, expect, it } from "vitest";
import { CALLBACK_DATA_MAX_BYTES, createCallbackData } from "../../src/bot/callback-data/codec.js";
import { dlqCallbacks } from "../../src/bot/callback-data/dlq.js";
import { healthCallbacks } from "../../src/bot/callback-data/health.js";
import { queuePageCallback } from "../../src/bot/callback-data/queue.js";
import { reviewCallbacks } from "../../src/bot/callback-data/review.js";

/** Every kind of button, with values to pack and the exact payload it had before (old buttons must keep working). */
const WIRE = [
  { name: "approve", data: reviewCallbacks.approve, values: { replyId: 1, version: 1 }, wire: "v1:a:1:1" },
  { name: "reject", data: reviewCallbacks.reject, values: { replyId: 42, version: 7 }, wire: "v1:r:42:7" },
  { name: "edit", data: reviewCallbacks.edit, values: { replyId: 9_999_999_999, version: 9_999_999_999 }, wire: "v1:e:9999999999:9999999999" },
  { name: "regenerate", data: reviewCallbacks.regenerate, values: { replyId: 5, version: 3 }, wire: "v1:g:5:3" },
  { name: "queue first page", data: queuePageCallback, values: { page: 0 }, wire: "v1:q:0" },
  { name: "queue page", data: queuePageCallback, values: { page: 12 }, wire: "v1:q:12" },
  { name: "health refresh", data: healthCallbacks.refresh, values: {}, wire: "v1:hr" },
  { name: "breaker reset", data: healthCallbacks.breakerReset, values: { name: "x:main" }, wire: "v1:br:x:main" },
  { name: "long breaker", data: healthCallbacks.breakerReset, values: { name: "ai:gpt-4o-mini-2024-07-18" }, wire: "v1:br:ai:gpt-4o-mini-2024-07-18" },
  { name: "dlq retry", data: dlqCallbacks.retry, values: { entryId: 12 }, wire: "v1:dr:12" },
  { name: "dlq discard", data: dlqCallbacks.discard, values: { entryId: 9_999_999_999 }, wire: "v1:dd:9999999999" },
] as const;

const ALL = [
  ...Object.values(reviewCallbacks),
  queuePageCallback,
  ...Object.values(healthCallbacks),
  ...Object.values(dlqCallbacks),
];

describe("callback data", () => {
  it.each(WIRE)("$name packs to $wire within 64 bytes and reads back", ({ data, values, wire }) => {
    const packed = (data.pack as (v: typeof values) => string)(values);
    expect(packed).toBe(wire);
    expect(Buffer.byteLength(packed)).toBeLessThanOrEqual(CALLBACK_DATA_MAX_BYTES);
    expect(data.filter.test(packed)).toBe(true);
    expect(data.unpack(packed)).toEqual(values);
  });

  it.each(WIRE)("only the $name definition matches $wire", ({ data, wire }) => {
    expect(ALL.filter((other) => other.filter.test(wire))).toEqual([data]);
  });

  it.each([
    "",
    "v1",
    "v0:a:1:1",
    "v2:a:1:1",
    "v1:x:1:1",
    "v1:a:1",
    "v1:a:one:1",
    "v1:a:1:1:1",
    "v1:q",
    "v1:q:1:2",
    "v1:a:-1:1",
    "v1:a:99999999999:1",
    "v1:dr",
    "v1:dr:x",
    "v1:dr:1:2",
    "v1:dd:-1",
    "v1:dd:99999999999",
    "v0:dr:1",
    "v1:hr:1",
    "v1:br:",
    "v1:br:bad name",
    "v0:br:x:main",
    "xv1:q:1",
    "v1:q:1\n",
  ])("no definition matches malformed or foreign data %j, and unpacking it throws", (wire) => {
    for (const data of ALL) {
      expect(data.filter.test(wire)).toBe(false);
      expect(() => data.unpack(wire)).toThrow();
    }
  });

  it("refuses to pack values that do not fit, or a payload over 64 bytes", () => {
    expect(() => healthCallbacks.breakerReset.pack({ name: "bad name" })).toThrow();
    expect(() => queuePageCallback.pack({ page: -1 })).toThrow();
    expect(() => queuePageCallback.pack({ page: 1.5 })).toThrow();
    const wide = createCallbackData("w", { a: "name", b: "name" });
    expect(() => wide.pack({ a: "n".repeat(30), b: "m".repeat(30) })).toThrow(/too long/);
  });
});
