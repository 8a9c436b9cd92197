/**
 * Cutting text for display: at most `max` UTF-16 code units (how Telegram, X and our columns count), with "…" where
 * it was cut, and never through a grapheme (an emoji, a ZWJ family, a flag, a letter with its combining marks).
 */
import { escapeHtml } from "./html.js";

/** The mark a clipped text ends with. */
export const ELLIPSIS = "…";

/** Telegram shows at most 200 characters of a callback query answer (the toast after a button press). */
export const CALLBACK_ANSWER_MAX = 200;

/** How much of an admin's own argument an answer repeats back (the rest of the answer must still fit Telegram). */
export const ECHO_MAX = 100;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The longest prefix of `text` made of whole graphemes whose length, after `measure`, fits in `budget`. */
function fittingPrefix(text: string, budget: number, measure: (segment: string) => number): string {
  let out = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const cost = measure(segment);
    if (used + cost > budget) break;
    used += cost;
    out += segment;
  }
  return out;
}

/** `text` if it fits in `max`, else its longest whole-grapheme prefix plus "…", `max` long at most. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${fittingPrefix(text, Math.max(0, max - ELLIPSIS.length), (segment) => segment.length)}${ELLIPSIS}`;
}

/** {@link clip} after folding every run of whitespace (line breaks too) into one space: one-line previews. */
export function clipFlat(text: string, max: number): string {
  return clip(text.replace(/\s+/g, " ").trim(), max);
}

/** Escapes `text` for Telegram HTML, cut so the escaped result is at most `max` long (an entity is never split). */
export function clipHtml(text: string, max: number): string {
  const escaped = escapeHtml(text);
  if (escaped.length <= max) return escaped;
  const prefix = fittingPrefix(text, max - ELLIPSIS.length, (segment) => escapeHtml(segment).length);
  return `${escapeHtml(prefix)}${ELLIPSIS}`;
}

/** A callback query answer cut to what Telegram shows. */
export function clipAnswer(text: string): string {
  return clip(text, CALLBACK_ANSWER_MAX);
}
