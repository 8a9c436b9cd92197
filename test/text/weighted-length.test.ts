import { describe, expect, it } from "vitest";
import { weightedLength, X_MAX_WEIGHTED_LENGTH } from "../../src/text/weighted-length.js";

describe("weightedLength", () => {
  it("counts plain ASCII one per character", () => {
    expect(X_MAX_WEIGHTED_LENGTH).toBe(280);
    expect(weightedLength("")).toBe(0);
    expect(weightedLength("hello world")).toBe(11);
    expect(weightedLength("a".repeat(280))).toBe(280);
  });

  it("counts every URL as 23, however long", () => {
    const longUrl = `https://example.com/${"x".repeat(200)}`;
    expect(weightedLength(longUrl)).toBe(23);
    expect(weightedLength("see https://t.co/a")).toBe(4 + 23);
    expect(weightedLength(`a ${longUrl} b example.org`)).toBe(2 + 23 + 3 + 23);
  });

  it("counts emoji and CJK as 2", () => {
    expect(weightedLength("😀")).toBe(2);
    expect(weightedLength("👍🏽")).toBe(2); // emoji + skin tone modifier is one emoji
    expect(weightedLength("日本語")).toBe(6);
    expect(weightedLength("한국")).toBe(4);
    expect(weightedLength("é")).toBe(1);
    // 140 CJK characters already fill a post.
    expect(weightedLength("字".repeat(140))).toBe(280);
    expect(weightedLength("字".repeat(141))).toBeGreaterThan(X_MAX_WEIGHTED_LENGTH);
  });
});
