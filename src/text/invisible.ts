/**
 * Removes characters a reader cannot see from text that will be posted, so that what an admin reads on a card is
 * exactly what X shows: format characters (Unicode category Cf — bidi controls, zero-width spaces and joiners, word
 * joiner, BOM, invisible operators, tag characters used for "ASCII smuggling"), control characters other than line
 * feed and tab, lone surrogates, Hangul fillers, and variation selectors that select nothing (a run of them, or
 * one after a character that has no variants, can carry hidden data; one after an emoji, ❤️, or a CJK ideograph
 * picks the glyph and is kept).
 *
 * Kept because they are visible in their place or needed for correct spelling:
 * - ZWJ (U+200D) inside an emoji sequence (👩‍💻, 🏳️‍🌈): between an emoji (or its skin tone or U+FE0F) and an emoji;
 * - ZWJ and ZWNJ (U+200C) between two letters of a script that uses them for joining (Persian می‌خواهم, Indic
 *   conjuncts); between Latin letters they only hide things and are removed;
 * - the tag characters of a subdivision flag (🏴 + lowercase letters/digits + CANCEL TAG, as in 🏴󠁧󠁢󠁳󠁣󠁴󠁿);
 * - the Arabic prepended concatenation marks (U+0600–0605, U+06DD, U+070F, U+08E2), which are drawn.
 */

const ZWNJ = 0x200c;
const ZWJ = 0x200d;
const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;
/** Tag characters a subdivision flag may use: TAG DIGIT ZERO…NINE and TAG LATIN SMALL LETTER A…Z. */
const FLAG_TAG = /^[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]$/u;
/** Subdivision codes are at most 6 characters ("gbsct" plus room), so a longer tag run is not a flag. */
const MAX_FLAG_TAGS = 7;

const FORMAT = /^\p{Cf}$/u;
const CONTROL = /^[\p{Cc}\p{Cs}]$/u;
const VARIATION_SELECTOR = /^[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]$/u;
const EMOJI_PRESENTATION = /^[\uFE0E\uFE0F]$/u;
const IDEOGRAPHIC_VARIATION = /^[\u{E0100}-\u{E01EF}]$/u;
const HAS_EMOJI_VARIANTS = /^\p{Emoji}$/u;
const HAN = /^\p{Script=Han}$/u;
const HANGUL_FILLER = /^[\u115F\u1160\u3164\uFFA0]$/u;
const VISIBLE_FORMAT = /^[\u0600-\u0605\u06DD\u070F\u08E2]$/u;
const EMOJI_BEFORE_ZWJ = /^[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]$/u;
const EMOJI = /^\p{Extended_Pictographic}$/u;
/** Letters and marks of the scripts whose spelling uses ZWJ/ZWNJ to control joining. */
const JOINING_SCRIPT =
  /^[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Khmer}\p{Script=Myanmar}]$/u;

/** Whether a variation selector after `before` selects a glyph (emoji or text style, an ideograph variant…). */
function selectsVariant(selector: string, before: string | undefined): boolean {
  if (before === undefined || VARIATION_SELECTOR.test(before)) return false;
  if (EMOJI_PRESENTATION.test(selector)) return HAS_EMOJI_VARIANTS.test(before);
  if (IDEOGRAPHIC_VARIATION.test(selector)) return HAN.test(before);
  // FE00–FE0D: standardized variants of math symbols, CJK, Mongolian, Phags-pa… never of ASCII.
  return (before.codePointAt(0) ?? 0) > 0x7f;
}

function isJoinerKept(code: number, before: string | undefined, after: string | undefined): boolean {
  if (before === undefined || after === undefined) return false;
  if (code === ZWJ && EMOJI_BEFORE_ZWJ.test(before) && EMOJI.test(after)) return true;
  return JOINING_SCRIPT.test(before) && JOINING_SCRIPT.test(after);
}

/** Length of the subdivision-flag tag run starting at `start` (ending with CANCEL TAG), or 0 when there is none. */
function flagTagRun(chars: readonly string[], start: number): number {
  for (let i = start; i < chars.length && i - start <= MAX_FLAG_TAGS; i++) {
    const code = chars[i]?.codePointAt(0);
    if (code === CANCEL_TAG) return i > start ? i - start + 1 : 0;
    if (!FLAG_TAG.test(chars[i] ?? "")) return 0;
  }
  return 0;
}

/**
 * `text` without invisible characters (see the module comment for what is kept and why); CR and CRLF become LF and
 * the Unicode line/paragraph separators become LF too. Idempotent.
 */
export function stripInvisible(text: string): string {
  // Array.from splits by code point; a lone surrogate stays a one-unit element and is dropped as Cs below.
  const chars = Array.from(text.replace(/\r\n?|[\u2028\u2029]/g, "\n"));
  // The next character that is not a format character, per position (those around a joiner go anyway); linear.
  const nextVisible: (string | undefined)[] = new Array<string | undefined>(chars.length + 1);
  for (let i = chars.length - 1; i >= 0; i--) {
    const char = chars[i] ?? "";
    nextVisible[i] = FORMAT.test(char) ? nextVisible[i + 1] : char;
  }
  const out: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? "";
    const code = char.codePointAt(0) ?? 0;
    const previous = out[out.length - 1];
    if (char === "\n" || char === "\t") {
      out.push(char);
      continue;
    }
    if (CONTROL.test(char) || HANGUL_FILLER.test(char)) continue;
    if (VARIATION_SELECTOR.test(char)) {
      if (selectsVariant(char, previous)) out.push(char);
      continue;
    }
    if (code === BLACK_FLAG) {
      const run = flagTagRun(chars, i + 1);
      out.push(...chars.slice(i, i + 1 + run));
      i += run;
      continue;
    }
    if (!FORMAT.test(char) || VISIBLE_FORMAT.test(char)) {
      out.push(char);
      continue;
    }
    if ((code === ZWJ || code === ZWNJ) && isJoinerKept(code, previous, nextVisible[i + 1])) out.push(char);
  }
  return out.join("");
}
