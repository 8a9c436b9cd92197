import { describe, expect, it } from "vitest";
import { CALLBACK_DATA_MAX_BYTES, createCallbackData, decimalUpTo, MAX_CALLBACK_NUMBER } from "../../src/bot/callback-data/codec.js";
import { dlqCallbacks } from "../../src/bot/callback-data/dlq.js";
import { healthCallbacks } from "../../src/bot/callback-data/health.js";
import { queuePageCallback } from "../../src/bot/callback-data/queue.js";
import { reviewCallbacks } from "../../src/bot/callback-data/review.js";

/** Every kind of button, with values to pack and the exact payload it had before (old buttons must keep working). */
const WIRE = [
  { name: "approve", data: reviewCallbacks.approve, values: { replyId: 1, version: 1 }, wire: "v1:a:1:1" },
  { name: "reject", data: reviewCallbacks.reject, values: { replyId: 42, version: 7 }, wire: "v1:r:42:7" },
  { name: "edit", data: reviewCallbacks.edit, values: { replyId: 2_147_483_647, version: 2_147_483_647 }, wire: "v1:e:2147483647:2147483647" },
  { name: "regenerate", data: reviewCallbacks.regenerate, values: { replyId: 5, version: 3 }, wire: "v1:g:5:3" },
  { name: "post anyway", data: reviewCallbacks.postAnyway, values: { replyId: 9, version: 2 }, wire: "v1:y:9:2" },
  { name: "queue first page", data: queuePageCallback, values: { page: 0 }, wire: "v1:q:0" },
  { name: "queue page", data: queuePageCallback, values: { page: 12 }, wire: "v1:q:12" },
  { name: "health refresh", data: healthCallbacks.refresh, values: {}, wire: "v1:hr" },
  { name: "breaker reset", data: healthCallbacks.breakerReset, values: { name: "x:main" }, wire: "v1:br:x:main" },
  { name: "long breaker", data: healthCallbacks.breakerReset, values: { name: "ai:gpt-4o-mini-2024-07-18" }, wire: "v1:br:ai:gpt-4o-mini-2024-07-18" },
  { name: "dlq retry", data: dlqCallbacks.retry, values: { entryId: 12 }, wire: "v1:dr:12" },
  { name: "dlq discard", data: dlqCallbacks.discard, values: { entryId: 2_147_483_647 }, wire: "v1:dd:2147483647" },
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
    "v1:a:9999999999:1",
    "v1:a:2147483648:1",
    "v1:e:1:2147483648",
    "v1:r:3000000000:1",
    "v1:q:4294967296",
    "v1:dr:2147483650",
    "v1:a:01:1",
    "v1:dr",
    "v1:dr:x",
    "v1:dr:1:2",
    "v1:dd:-1",
    "v1:dd:99999999999",
    "v1:dd:9999999999",
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

  it("numbers match exactly 0…max without leading zeros (integer columns hold up to 2^31-1)", () => {
    for (const max of [0, 7, 10, 305, 1000, 2999]) {
      const exact = new RegExp(`^${decimalUpTo(max)}$`);
      for (let n = 0; n <= 4000; n++) expect(exact.test(String(n)), `${n} against max ${max}`).toBe(n <= max);
      expect(exact.test("00")).toBe(false);
    }
    const int = new RegExp(`^${decimalUpTo(MAX_CALLBACK_NUMBER)}$`);
    for (const n of [0, 1, 999_999_999, 1_999_999_999, 2_147_483_599, 2_147_483_647]) expect(int.test(String(n))).toBe(true);
    for (const n of [2_147_483_648, 2_147_483_650, 2_147_484_000, 2_200_000_000, 3_000_000_000, 9_999_999_999]) {
      expect(int.test(String(n))).toBe(false);
    }
    expect(() => reviewCallbacks.approve.pack({ replyId: 2 ** 31, version: 1 })).toThrow();
  });

  it("refuses to pack values that do not fit, or a payload over 64 bytes", () => {
    expect(() => healthCallbacks.breakerReset.pack({ name: "bad name" })).toThrow();
    expect(() => queuePageCallback.pack({ page: -1 })).toThrow();
    expect(() => queuePageCallback.pack({ page: 1.5 })).toThrow();
    const wide = createCallbackData("w", { a: "name", b: "name" });
    expect(() => wide.pack({ a: "n".repeat(30), b: "m".repeat(30) })).toThrow(/too long/);
  });
});
