import { describe, expect, it } from "vitest";
import { CALLBACK_ANSWER_MAX, clip, clipAnswer, clipFlat, clipHtml } from "../../src/text/clip.js";

describe("clip", () => {
  it("keeps a text that fits, to the exact boundary", () => {
    expect(clip("hello", 5)).toBe("hello");
    expect(clip("", 0)).toBe("");
  });

  it("cuts one past the boundary and marks the cut within the limit", () => {
    expect(clip("hello!", 5)).toBe("hell…");
    expect(clip("hello!", 5)).toHaveLength(5);
    expect(clip("abc", 1)).toBe("…");
  });

  it("never cuts a surrogate pair (emoji) in half", () => {
    // "ab" then 😀 (2 code units): a budget of 3 would take half the emoji.
    expect(clip("ab😀cd", 4)).toBe("ab…");
    expect(clip("ab😀cd", 5)).toBe("ab😀…");
  });

  it("keeps a ZWJ family and a flag whole or drops them whole", () => {
    const family = "👨‍👩‍👧"; // 8 code units
    expect(clip(`x${family}y`, 9)).toBe("x…");
    expect(clip(`x${family}yz`, 10)).toBe(`x${family}…`);
    const flag = "🇩🇪"; // two regional indicators, 4 code units
    expect(clip(`${flag}${flag}`, 7)).toBe(`${flag}…`);
    expect(clip(`${flag}${flag}`, 4)).toBe("…");
  });

  it("keeps a letter with its combining mark together", () => {
    const decomposed = "ce\u0301!"; // c, e + combining acute, !
    expect(clip(decomposed, 3)).toBe("c…");
    expect(clip(`${decomposed}??`, 4)).toBe("ce\u0301…");
  });

  it("counts CJK characters one each", () => {
    expect(clip("日本語のテキスト", 5)).toBe("日本語の…");
  });
});

describe("clipFlat", () => {
  it("folds whitespace to single spaces and trims before cutting", () => {
    expect(clipFlat("  line one\n\n line\ttwo  ", 100)).toBe("line one line two");
    expect(clipFlat("a\nb\nc\nd", 5)).toBe("a b …");
  });
});

describe("clipHtml", () => {
  it("escapes, and cuts so the escaped text fits without splitting an entity", () => {
    expect(clipHtml("a<b", 10)).toBe("a&lt;b");
    // "a&lt;" is 5 long: with the ellipsis that is 6 > 5, so the "<" goes whole.
    expect(clipHtml("a<bcdef", 5)).toBe("a…");
    expect(clipHtml("a<bcdef", 7)).toBe("a&lt;b…");
    expect(clipHtml("a<bcdef", 6)).toBe("a&lt;…");
  });

  it("does not cut an emoji while escaping", () => {
    expect(clipHtml("&😀x", 7)).toBe("&amp;…");
    expect(clipHtml("&😀xy", 8)).toBe("&amp;😀…");
  });
});

describe("clipAnswer", () => {
  it("cuts to Telegram's 200-character callback answer", () => {
    expect(CALLBACK_ANSWER_MAX).toBe(200);
    expect(clipAnswer("x".repeat(200))).toHaveLength(200);
    const cut = clipAnswer("y".repeat(201));
    expect(cut).toHaveLength(200);
    expect(cut.endsWith("…")).toBe(true);
  });
});
