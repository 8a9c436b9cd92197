/** Property: callback data from anyone decodes to a valid value or is refused, and our own payloads round-trip. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CALLBACK_DATA_MAX_BYTES, MAX_CALLBACK_NUMBER } from "../../src/bot/callback-data/codec.js";
import { dlqCallbacks } from "../../src/bot/callback-data/dlq.js";
import { healthCallbacks } from "../../src/bot/callback-data/health.js";
import { queuePageCallback } from "../../src/bot/callback-data/queue.js";
import { reviewCallbacks } from "../../src/bot/callback-data/review.js";

const RUNS = { numRuns: 300 };

const NUMBERED = [
  ...Object.values(reviewCallbacks).map((data) => ({ data, fields: ["replyId", "version"] as const })),
  { data: queuePageCallback, fields: ["page"] as const },
  ...Object.values(dlqCallbacks).map((data) => ({ data, fields: ["entryId"] as const })),
];
const ALL = [...NUMBERED.map((n) => n.data), ...Object.values(healthCallbacks)];

/** Strings that look like our payloads: version, code, fields made of digits, signs, dots, letters and junk. */
const payloadLike = fc
  .tuple(
    fc.constantFrom("v1", "v0", "v2", "V1", "", "v1 "),
    fc.constantFrom("a", "r", "e", "g", "q", "dr", "dd", "hr", "br", "x", ""),
    fc.array(
      fc.oneof(
        fc.nat().map(String),
        fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
        fc.constantFrom("-1", "01", "1e3", "0x10", "1.5", "NaN", "Infinity", " 1", "1\n", "٣", "１", "", "x:main", "a b"),
        fc.string({ maxLength: 12 }),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([version, code, fields]) => [version, code, ...fields].join(":"));

const anyData = fc.oneof(payloadLike, fc.string({ maxLength: 80 }), fc.string({ unit: "binary", maxLength: 80 }));

describe("callback data codec (property)", () => {
  it("unpack never throws for data its filter matched, and yields numbers that fit an integer column", () => {
    fc.assert(
      fc.property(anyData, (data) => {
        for (const { data: kind, fields } of NUMBERED) {
          if (!kind.filter.test(data)) continue;
          const values = kind.unpack(data) as Record<string, number>;
          for (const field of fields) {
            expect(Number.isSafeInteger(values[field])).toBe(true);
            expect(values[field]).toBeGreaterThanOrEqual(0);
            expect(values[field]).toBeLessThanOrEqual(MAX_CALLBACK_NUMBER);
          }
        }
      }),
      RUNS,
    );
  });

  it("data no filter matches is refused by every unpack with an Error (never a TypeError or a value)", () => {
    fc.assert(
      fc.property(anyData, (data) => {
        for (const kind of ALL) {
          if (kind.filter.test(data)) continue;
          expect(() => kind.unpack(data)).toThrow(/not a .* callback/);
        }
      }),
      RUNS,
    );
  });

  it("at most one kind of button matches any data", () => {
    fc.assert(
      fc.property(anyData, (data) => {
        expect(ALL.filter((kind) => kind.filter.test(data)).length).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it("decode(encode(x)) = x for every valid value, within 64 bytes", () => {
    const id = fc.integer({ min: 0, max: MAX_CALLBACK_NUMBER });
    fc.assert(
      fc.property(id, id, fc.stringMatching(/^[\w.:-]{1,48}$/), (a, b, name) => {
        for (const kind of Object.values(reviewCallbacks)) {
          const packed = kind.pack({ replyId: a, version: b });
          expect(Buffer.byteLength(packed)).toBeLessThanOrEqual(CALLBACK_DATA_MAX_BYTES);
          expect(kind.unpack(packed)).toEqual({ replyId: a, version: b });
        }
        expect(queuePageCallback.unpack(queuePageCallback.pack({ page: a }))).toEqual({ page: a });
        for (const kind of Object.values(dlqCallbacks)) expect(kind.unpack(kind.pack({ entryId: b }))).toEqual({ entryId: b });
        const reset = healthCallbacks.breakerReset.pack({ name });
        expect(Buffer.byteLength(reset)).toBeLessThanOrEqual(CALLBACK_DATA_MAX_BYTES);
        expect(healthCallbacks.breakerReset.unpack(reset)).toEqual({ name });
      }),
      RUNS,
    );
  });

  it("out-of-shape values are refused by pack instead of producing a payload", () => {
    const bad = fc.oneof(
      fc.integer({ max: -1 }),
      fc.maxSafeInteger().filter((n) => n > MAX_CALLBACK_NUMBER),
      fc.double().filter((n) => !Number.isInteger(n)),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53),
    );
    fc.assert(
      fc.property(bad, (value) => {
        expect(() => reviewCallbacks.approve.pack({ replyId: value, version: 1 })).toThrow();
        expect(() => queuePageCallback.pack({ page: value })).toThrow();
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }).filter((s) => !/^[\w.:-]{1,48}$/.test(s)), (name) => {
        expect(() => healthCallbacks.breakerReset.pack({ name })).toThrow();
      }),
      RUNS,
    );
  });
});
