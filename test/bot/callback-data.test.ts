import { describe, expect, it } from "vitest";
import { CALLBACK_DATA_MAX_BYTES, decodeCallback, encodeCallback, type CallbackAction } from "../../src/bot/callback-data/index.js";

describe("callback data", () => {
  const actions: CallbackAction[] = [
    { kind: "approve", replyId: 1, version: 1 },
    { kind: "reject", replyId: 42, version: 7 },
    { kind: "edit", replyId: 9_999_999_999, version: 9_999_999_999 },
    { kind: "regenerate", replyId: 5, version: 3 },
    { kind: "queue", page: 0 },
    { kind: "queue", page: 12 },
    { kind: "health_refresh" },
    { kind: "breaker_reset", name: "x:main" },
    { kind: "breaker_reset", name: "ai:gpt-4o-mini-2024-07-18" },
    { kind: "dlq_retry", entryId: 7 },
    { kind: "dlq_discard", entryId: 9_999_999_999 },
  ];

  it("uses the short DLQ codes", () => {
    expect(encodeCallback({ kind: "dlq_retry", entryId: 12 })).toBe("v1:dr:12");
    expect(encodeCallback({ kind: "dlq_discard", entryId: 12 })).toBe("v1:dd:12");
  });

  it.each(actions)("round-trips %o within 64 bytes", (action) => {
    const data = encodeCallback(action);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(CALLBACK_DATA_MAX_BYTES);
    expect(data.startsWith("v1:")).toBe(true);
    expect(decodeCallback(data)).toEqual(action);
  });

  it.each(["", "v1", "v0:a:1:1", "v2:a:1:1", "v1:x:1:1", "v1:a:1", "v1:a:one:1", "v1:a:1:1:1", "v1:q", "v1:q:1:2", "v1:a:-1:1", "v1:a:99999999999:1", "v1:dr", "v1:dr:x", "v1:dr:1:2", "v1:dd:-1", "v1:dd:99999999999", "v0:dr:1", "v1:hr:1", "v1:br:", "v1:br:bad name", "v0:br:x:main"])(
    "rejects malformed or foreign data %j",
    (data) => {
      expect(decodeCallback(data)).toBeUndefined();
    },
  );
});
