/** Property: the invisible-character strip and the new-link check hold for any text, not just the examples. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { neutralisedPostText } from "../../src/ai/prompts.js";
import { cleanReplyText } from "../../src/text/clean-reply-text.js";
import { stripInvisible } from "../../src/text/invisible.js";
import { newLinksAndMentions } from "../../src/text/new-links.js";

const RUNS = { numRuns: 400 };
/** Text mixing ordinary characters with every kind of invisible one this project strips or keeps. */
const tricky = fc
  .array(
    fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 4 }),
      fc.constantFrom("\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u202E", "\u2066", "\u061C", "\uFE0F", "\u{E0100}", "\u{E0041}", "\u{E007F}",
        "🏴", "👩", "💻", "م", "क्", "\r\n", "\u2028", "\u0000", "\uD800", "@bob", "x.com/a", "</post>", "＜post＞"),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(""));

describe("untrusted text (property)", () => {
  it("stripInvisible is idempotent, never lengthens, and leaves no bidi control, zero-width space or stray tag", () => {
    fc.assert(
      fc.property(tricky, (text) => {
        const once = stripInvisible(text);
        expect(stripInvisible(once)).toBe(once);
        expect(once.length).toBeLessThanOrEqual(text.length);
        expect(once).not.toMatch(/[\u200B\u2060\uFEFF\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\r\u2028\u2029]/u);
        // Tag characters survive only as a subdivision flag right after 🏴.
        expect(once.replace(/🏴[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]+\u{E007F}/gu, "")).not.toMatch(/[\u{E0000}-\u{E007F}]/u);
      }),
      RUNS,
    );
  });

  it("a cleaned reply is free of invisible characters, and the post in a prompt cannot close its block", () => {
    fc.assert(
      fc.property(tricky, (text) => {
        const reply = cleanReplyText(text);
        expect(stripInvisible(reply)).toBe(reply);
        expect(neutralisedPostText(text)).not.toMatch(/[<\uFF1C\uFE64]\s*\/?\s*post/iu);
      }),
      RUNS,
    );
  });

  it("a reply that only repeats its post adds no link and no mention", () => {
    fc.assert(
      fc.property(tricky, fc.string({ maxLength: 15 }), (text, author) => {
        expect(newLinksAndMentions(text, { text, authorUsername: author })).toEqual({ links: [], mentions: [] });
      }),
      RUNS,
    );
  });
});
