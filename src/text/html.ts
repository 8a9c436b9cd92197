/** Escapes the three characters Telegram's HTML parse mode reserves. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Telegram refuses a message whose text, counted after its HTML is parsed, is longer than this. */
export const TELEGRAM_TEXT_MAX = 4_096;

/**
 * The length Telegram counts for an HTML message: the visible text, tags dropped and each entity
 * (`&amp;`, `&#39;`…) one character, in UTF-16 code units like {@link TELEGRAM_TEXT_MAX}.
 */
export function htmlTextLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(?:#\d+|#x[0-9a-f]+|[a-z]+);/gi, "&").length;
}

/** Escapes text for an HTML attribute value in quotes (web pages): {@link escapeHtml} plus both quote marks. */
export function escapeAttribute(text: string): string {
  return escapeHtml(text).replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}
