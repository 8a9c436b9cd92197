/**
 * A card is built to fit: Telegram counts at most 4096 characters of visible text (after the HTML
 * is parsed), so a long draft (a 4,000-character URL weighs 23 on X) and a long post are cut at a
 * grapheme boundary, the HTML stays valid, and the card says it was shortened.
 */
import { describe, expect, it } from "vitest";
import { renderCard, renderCardKeyboard, RESENT_LINE } from "../../../src/bot/cards/render-card.js";
import { reviewCallbacks } from "../../../src/bot/callback-data/review.js";
import { htmlTextLength, TELEGRAM_TEXT_MAX } from "../../../src/text/html.js";
import { cardView } from "../../support/card-view.js";
import { validateText } from "../../support/telegram-emulator/text-checks.js";
import type { Reply } from "../../../src/workflow/reply-states.js";

const LONG_URL = `https://example.com/${"a".repeat(3_980)}`;
const FAMILY = "👨‍👩‍👧‍👦";

const view = cardView;

/** The visible text of the card between `<blockquote>` n (0: the post, 1: the draft), unescaped. */
function quoted(html: string, n: number): string {
  const inner = [...html.matchAll(/<blockquote>([\s\S]*?)<\/blockquote>/g)][n]![1]!;
  return inner.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** Telegram's own check (the emulator's copy of it): valid HTML, at most 4096 visible characters. */
function expectAcceptedByTelegram(html: string): void {
  expect(() => validateText(html, "HTML", TELEGRAM_TEXT_MAX, "text")).not.toThrow();
  expect(htmlTextLength(html)).toBeLessThanOrEqual(TELEGRAM_TEXT_MAX);
}

describe("renderCard fits Telegram", () => {
  it("leaves an ordinary card whole, with no shortening note", () => {
    const html = renderCard(view("TypeScript 6 looks great."));
    expect(quoted(html, 1)).toBe("TypeScript 6 looks great.");
    expect(html).not.toContain("shortened");
  });

  it("shortens a 4,000-character URL draft under a 1,500-character post so the card fits, and says so", () => {
    const html = renderCard(view(`Read this: ${LONG_URL}`, "p".repeat(3_000)));
    expectAcceptedByTelegram(html);
    const draftShown = quoted(html, 1);
    expect(draftShown.endsWith("…")).toBe(true);
    expect(`Read this: ${LONG_URL}`.startsWith(draftShown.slice(0, -1))).toBe(true);
    expect(draftShown.length).toBeGreaterThan(3_000);
    expect(quoted(html, 0).length).toBeLessThan(1_500);
    expect(html).toContain("Draft shortened on this card: the full 4,011 characters are kept and are what gets published.");
  });

  it("counts what Telegram counts: an escaped & < > is one character, and no entity is cut", () => {
    const draft = "<&>".repeat(2_000);
    const html = renderCard(view(draft));
    expectAcceptedByTelegram(html);
    // Escaped it is 5 times longer than Telegram counts; the card uses its visible room, not the escaped length.
    expect(quoted(html, 1).length).toBeGreaterThan(3_000);
    expect(draft.startsWith(quoted(html, 1).slice(0, -1))).toBe(true);
  });

  it("never splits a ZWJ family at the cut point, wherever the cut falls", () => {
    for (let offset = 0; offset < FAMILY.length + 1; offset++) {
      const draft = `${"x".repeat(offset)}${FAMILY.repeat(600)}`;
      const html = renderCard(view(draft));
      expectAcceptedByTelegram(html);
      const shown = quoted(html, 1);
      expect(shown.endsWith(`${FAMILY}…`)).toBe(true);
      const body = shown.slice(offset, -1);
      expect(body.length % FAMILY.length).toBe(0);
      expect(body).toBe(FAMILY.repeat(body.length / FAMILY.length));
    }
  });

  it("shortens the post first and keeps the whole draft when that is enough", () => {
    const draft = `d${"e".repeat(2_799)}`;
    const html = renderCard(view(draft, "p".repeat(1_500)));
    expectAcceptedByTelegram(html);
    expect(quoted(html, 1)).toBe(draft);
    expect(quoted(html, 0).endsWith("…")).toBe(true);
    expect(html).toContain("Post shortened on this card.");
  });

  it("still fits with a long failure reason and a long draft", () => {
    const html = renderCard(view(LONG_URL, "post", { status: "failed", failureReason: "r".repeat(5_000) }));
    expectAcceptedByTelegram(html);
  });
});

describe("renderCard for a reply held to an account that is down", () => {
  const scheduled = { status: "approved", scheduledAt: new Date("2026-03-01T12:05:00Z") } as const;

  it("says whom a bound reply waits for, and why only that account", () => {
    const view = { ...cardView("Sure.", undefined, scheduled), waitingFor: { account: "@replygal", why: "bound" } } as const;
    expect(renderCard(view)).toContain("⛔ <b>Waits for @replygal</b>, unavailable now: the author summoned it, and X lets only that account answer");
  });

  it("says a reply with an unconfirmed attempt waits for the account that made it", () => {
    const view = { ...cardView("Sure.", undefined, scheduled), waitingFor: { account: "@replyguy", why: "unconfirmed" } } as const;
    expect(renderCard(view)).toContain("⛔ <b>Waits for @replyguy</b>, unavailable now: its last attempt may have posted, and only that account can check X");
  });

  it("says nothing of the sort while any account may publish it", () => {
    expect(renderCard(cardView("Sure.", undefined, scheduled))).not.toContain("Waits for");
  });

  it("offers to post a reply held by an unconfirmed attempt from another account anyway; never a bound one", () => {
    const unconfirmed = { ...cardView("Sure.", undefined, { ...scheduled, version: 4 }), waitingFor: { account: "@replyguy", why: "unconfirmed" } } as const;
    expect(renderCardKeyboard(unconfirmed)).toEqual({
      inline_keyboard: [[{ text: "⚠️ Post from another account anyway", callback_data: reviewCallbacks.postAnyway.pack({ replyId: 7, version: 4 }) }]],
    });
    expect(renderCard(unconfirmed)).toContain("it may then appear twice");
    const bound = { ...cardView("Sure.", undefined, scheduled), waitingFor: { account: "@replygal", why: "bound" } } as const;
    expect(renderCardKeyboard(bound)).toEqual({ inline_keyboard: [] });
    expect(renderCardKeyboard(cardView("Sure.", undefined, scheduled))).toEqual({ inline_keyboard: [] });
  });
});

describe("renderCard with an attachment", () => {
  const MB = 1024 * 1024;
  const attached = (media: Partial<Reply>) => ({ mediaFileId: "file-1", mediaBytes: null, mediaDurationSeconds: null, ...media });

  it.each([
    [{ mediaKind: "video", mediaMimeType: "video/mp4", mediaBytes: Math.round(3.2 * MB), mediaDurationSeconds: 12 }, "📎 Video · MP4 · 3.2 MB · 12 s"],
    [{ mediaKind: "image", mediaMimeType: "image/jpeg", mediaBytes: 400_000 }, "📎 Image · JPEG · 0.4 MB"],
    [{ mediaKind: "gif", mediaMimeType: "image/gif" }, "📎 GIF"],
    [{ mediaKind: "video", mediaMimeType: "video/<odd>&" }, "📎 Video · video/&lt;odd&gt;&amp;"],
  ] as const)("shows %o on one line right under the draft, escaped", (media, line) => {
    const html = renderCard(cardView("Sure.", undefined, attached(media)));
    expect(html).toContain(`<blockquote>Sure.</blockquote>\n${line}`);
    expectAcceptedByTelegram(html);
  });

  it("shows no attachment line without one", () => {
    expect(renderCard(cardView("Sure."))).not.toContain("📎");
  });

  it("still fits Telegram with an attachment and a draft that must be cut", () => {
    const html = renderCard(view(`Read this: ${LONG_URL}`, "p".repeat(3_000), attached({ mediaKind: "image", mediaMimeType: "image/png", mediaBytes: MB })));
    expectAcceptedByTelegram(html);
    expect(html).toContain("📎 Image · PNG · 1 MB");
  });

  it("a card sent again after an interrupted send says an earlier copy may be above, and still fits", () => {
    expect(renderCard(view("hello", "hi", { cardSends: 1 }))).not.toContain(RESENT_LINE);
    expect(renderCard(view("hello", "hi", { cardSends: 2 }))).toContain(RESENT_LINE);
    const long = renderCard(view(`Read this: ${LONG_URL}`, "p".repeat(3_000), { cardSends: 2 }));
    expectAcceptedByTelegram(long);
    expect(long).toContain(RESENT_LINE);
  });
});
