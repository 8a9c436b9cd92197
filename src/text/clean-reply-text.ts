/**
 * Normalises a model's reply draft into the text to post: models like to wrap replies in quotes or code fences,
 * label them ("Reply: …"), or open with the @handle of the person they answer (X adds mentions to a reply itself).
 * Invisible characters go first, so none can hide a label or a mention from the steps after.
 */
import { stripInvisible } from "./invisible.js";

/** Opening → closing quote pairs stripped when they wrap the whole reply. */
const QUOTE_PAIRS: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ["'", "'"],
  ["`", "`"],
  ["\u201C", "\u201D"], // “ ”
  ["\u201E", "\u201C"], // „ “
  ["\u201D", "\u201D"], // ” ” (Swedish/Finnish)
  ["\u2018", "\u2019"], // ‘ ’
  ["\u201A", "\u2018"], // ‚ ‘
  ["\u00AB", "\u00BB"], // « »
  ["\u00BB", "\u00AB"], // » « (Danish/German)
  ["\u2039", "\u203A"], // ‹ ›
  ["\u300C", "\u300D"], // 「 」
  ["\u300E", "\u300F"], // 『 』
  ["\uFF02", "\uFF02"], // ＂ ＂
]);

/** A code fence around the whole reply, with an optional info string (```text … ```). */
const CODE_FENCE = /^(`{3,}|~{3,})[^\n`]*\n([\s\S]*?)\n?\1$/;

/** A leading label such as "Reply:", "draft :" or "**Reply:**". */
const LABEL = /^(?:\*\*|__)?(?:reply|draft)\s*:(?:\*\*|__)?/i;

/** One or more leading @handles (ASCII or fullwidth @), with separators after them. */
const LEADING_MENTIONS = /^(?:[@\uFF20][A-Za-z0-9_]{1,15}(?=[\s,:;.\u2014\u2013-]|$)[\s,:;.\u2014\u2013-]*)+/;

function stripCodeFence(text: string): string {
  const match = CODE_FENCE.exec(text);
  return match ? (match[2] ?? "") : text;
}

function stripLabel(text: string): string {
  return text.replace(LABEL, "");
}

/** True when a quote character inside the wrapped text would make stripping the outer pair wrong. */
function hasInnerQuote(inner: string, open: string, close: string): boolean {
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch !== open && ch !== close) continue;
    // An apostrophe between two letters is a contraction ("can't"), not a quote.
    if ((ch === "'" || ch === "\u2019") && /\p{L}/u.test(inner[i - 1] ?? "") && /\p{L}/u.test(inner[i + 1] ?? "")) continue;
    return true;
  }
  return false;
}

function stripWrappingQuotes(text: string): string {
  if (text.length < 2) return text;
  const first = text[0] ?? "";
  const close = QUOTE_PAIRS.get(first);
  if (close === undefined || !text.endsWith(close)) return text;
  const inner = text.slice(first.length, text.length - close.length);
  return hasInnerQuote(inner, first, close) ? text : inner;
}

function stripLeadingMentions(text: string): string {
  return text.replace(LEADING_MENTIONS, "");
}

/**
 * Cleans a model's raw reply: removes invisible characters ({@link stripInvisible}); trims; removes, repeatedly and
 * in any order, a wrapping code fence, wrapping quotes of any common kind ("…", '…', “…”, «…», `…`, 「…」), a leading
 * "Reply:"/"Draft:" label and leading @mentions; collapses three or more line breaks into one blank line. Returns ""
 * when nothing is left.
 */
export function cleanReplyText(raw: string): string {
  let text = stripInvisible(raw).trim();
  for (let round = 0; round < 10; round++) {
    const before = text;
    text = stripCodeFence(text).trim();
    text = stripLabel(text).trim();
    text = stripWrappingQuotes(text).trim();
    text = stripLeadingMentions(text).trim();
    if (text === before) break;
  }
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
}
