// Text checks Telegram makes on send and edit: HTML parse errors, empty and too-long texts.
import { bad } from "./values.js";

const HTML_TAGS = new Set([
  "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji",
]);

function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), "utf8");
}

/** Validates Telegram HTML like the real parser does for common mistakes; returns the plain-text length. */
function checkHtml(text: string): number {
  const stack: string[] = [];
  let plain = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "<") {
      const end = text.indexOf(">", i);
      if (end < 0) throw bad(`can't parse entities: Unclosed start tag at byte offset ${byteOffset(text, i)}`);
      const inner = text.slice(i + 1, end);
      if (inner.startsWith("/")) {
        const name = inner.slice(1).trim().toLowerCase();
        const open = stack.pop();
        if (open === undefined) throw bad(`can't parse entities: Unexpected end tag at byte offset ${byteOffset(text, i)}`);
        if (name !== open) {
          throw bad(
            `can't parse entities: Unmatched end tag at byte offset ${byteOffset(text, i)}, expected "</${open}>", found "</${name}>"`,
          );
        }
      } else {
        const m = /^([a-zA-Z][a-zA-Z0-9-]*)(\s[\s\S]*)?$/.exec(inner);
        const name = (m?.[1] ?? inner.split(/\s/)[0] ?? "").toLowerCase();
        if (!m || !HTML_TAGS.has(name)) {
          throw bad(`can't parse entities: Unsupported start tag "${name}" at byte offset ${byteOffset(text, i)}`);
        }
        if (name === "span" && !/class\s*=\s*["']?tg-spoiler/.test(m[2] ?? "")) {
          throw bad(`can't parse entities: Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(text, i)}`);
        }
        stack.push(name);
      }
      i = end + 1;
    } else if (ch === "&") {
      const m = /^&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/.exec(text.slice(i, i + 12));
      plain += 1;
      i += m ? m[0].length : 1;
    } else {
      plain += 1;
      i += 1;
    }
  }
  const open = stack.at(-1);
  if (open !== undefined) throw bad(`can't parse entities: Can't find end tag corresponding to start tag "${open}"`);
  return plain;
}

/** Plain length of a text after entity parsing (approximate for Markdown: escapes are not counted). */
function plainLength(text: string, parseMode: string | undefined): number {
  const mode = parseMode?.toLowerCase();
  if (mode === "html") return checkHtml(text);
  if (mode === "markdownv2" || mode === "markdown") return text.replace(/\\(.)/g, "$1").length;
  return text.length;
}

/** Telegram's 400s for an empty text or a text/caption over `limit` characters after entity parsing. */
export function validateText(text: string | undefined, parseMode: string | undefined, limit: number, what: "text" | "caption"): void {
  if (what === "text" && (text === undefined || text.trim() === "")) throw bad("message text is empty");
  if (text === undefined) return;
  const len = plainLength(text, parseMode);
  if (what === "text" && len === 0) throw bad("message text is empty");
  if (len > limit) throw bad(what === "text" ? "message is too long" : "message caption is too long");
}
