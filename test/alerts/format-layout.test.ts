/**
 * The exact layout of an alert on each channel (Telegram HTML, e-mail text and subject, the repeat
 * follow-up, the webhook JSON), and how keys, values, messages and long detail lists are tamed:
 * whitespace folded, lengths bounded, extra details counted rather than shown.
 */
import { describe, expect, it } from "vitest";
import {
  alertWebhookPayload,
  formatAlertHtml,
  formatAlertSubject,
  formatAlertText,
  formatRepeatText,
  MAX_DETAIL_CHARS,
  MAX_DETAILS,
  MAX_MESSAGE_CHARS,
  TELEGRAM_TEXT_LIMIT,
  type AlertView,
} from "../../src/alerts/format.js";

const AT = new Date("2025-07-01T12:00:05Z");
const LATER = new Date("2025-07-01T12:01:00Z");
const BERLIN = { timeZone: "Europe/Berlin", secrets: [] };

function alert(overrides: Partial<AlertView> = {}): AlertView {
  return {
    id: 7,
    type: "publication_failed",
    level: "error",
    key: "x:main",
    message: "X answered 503",
    details: { account: "main", count: 3 },
    occurredAt: AT,
    repeatCount: 0,
    lastRepeatAt: null,
    ...overrides,
  };
}

const manyDetails = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}`, i]));

describe("alert layout", () => {
  it("Telegram: header, time, message, details, and the repeats at the end", () => {
    expect(formatAlertHtml(alert(), BERLIN)).toBe(
      [
        "🔴 <b>ERROR</b> · <code>publication_failed</code> · <code>x:main</code>",
        "🕒 2025-07-01 14:00:05 (Europe/Berlin)",
        "",
        "X answered 503",
        "",
        "<i>account</i>: main",
        "<i>count</i>: 3",
      ].join("\n"),
    );
    expect(formatAlertHtml(alert({ key: "", details: {}, repeatCount: 2, lastRepeatAt: LATER }), BERLIN, "still <here>")).toBe(
      [
        "🔴 <b>ERROR</b> · <code>publication_failed</code>",
        "🕒 2025-07-01 14:00:05 (Europe/Berlin)",
        "still &lt;here&gt;",
        "",
        "X answered 503",
        "",
        "🔁 <b>×2 more (last 2025-07-01 14:01:00 (Europe/Berlin))</b>",
      ].join("\n"),
    );
  });

  it("e-mail: text and subject", () => {
    expect(formatAlertText(alert(), BERLIN)).toBe(
      ["[ERROR] publication_failed (x:main)", "Time: 2025-07-01 14:00:05 (Europe/Berlin)", "", "X answered 503", "", "account: main", "count: 3"].join("\n"),
    );
    expect(formatAlertText(alert({ key: "", details: {}, repeatCount: 2, lastRepeatAt: null }), BERLIN)).toBe(
      ["[ERROR] publication_failed", "Time: 2025-07-01 14:00:05 (Europe/Berlin)", "", "X answered 503", "", "×2 more"].join("\n"),
    );
    expect(formatAlertSubject(alert({ message: "line one\n\n  line two" }), BERLIN)).toBe(
      "[reply-guy-bot] ERROR publication_failed: line one line two",
    );
    const subject = formatAlertSubject(alert({ message: "z".repeat(400) }), BERLIN);
    expect(subject).toHaveLength(150);
    expect(subject.endsWith("z…")).toBe(true);
  });

  it("the repeat follow-up names the repeats and the first time", () => {
    expect(formatRepeatText(alert({ repeatCount: 4, lastRepeatAt: LATER }), BERLIN)).toBe(
      "[ERROR] publication_failed (x:main) repeated ×4 more (last 2025-07-01 14:01:00 (Europe/Berlin)) since 2025-07-01 14:00:05 (Europe/Berlin): X answered 503",
    );
    expect(formatRepeatText(alert({ key: "", message: "a\n b" }), BERLIN)).toBe(
      "[ERROR] publication_failed repeated ×0 more since 2025-07-01 14:00:05 (Europe/Berlin): a b",
    );
    expect(formatRepeatText(alert({ message: "q".repeat(1_000) }), BERLIN).endsWith(`: ${"q".repeat(299)}…`)).toBe(true);
  });

  it("an alert without repeats or details says nothing about either", () => {
    const plain = alert({ details: {} });
    for (const text of [formatAlertHtml(plain, BERLIN), formatAlertText(plain, BERLIN), formatAlertSubject(plain, BERLIN)]) {
      expect(text).not.toContain("more");
      expect(text.endsWith("X answered 503")).toBe(true);
    }
  });

  it("folds whitespace in keys, values and the message, and bounds each", () => {
    const text = formatAlertText(
      alert({
        key: "k".repeat(150),
        message: `  ${"m".repeat(MAX_MESSAGE_CHARS + 50)}  `,
        details: { "a key\twith  spaces": "  first\n\n second  ", [`${"long".repeat(30)}`]: 1 },
      }),
      BERLIN,
    );
    const lines = text.split("\n");
    expect(lines[0]).toBe(`[ERROR] publication_failed (${"k".repeat(99)}…)`);
    expect(lines[3]).toBe(`${"m".repeat(MAX_MESSAGE_CHARS - 1)}…`);
    expect(lines[5]).toBe("a_key_with_spaces: first second");
    expect(lines[6]).toBe(`${"long".repeat(14)}lon…: 1`);
  });

  it("shows the first 25 details and counts the rest, on every channel", () => {
    const many = alert({ details: manyDetails(MAX_DETAILS + 5) });
    const text = formatAlertText(many, BERLIN).split("\n");
    expect(text.filter((line) => /^d\d+: \d+$/.test(line))).toHaveLength(MAX_DETAILS);
    expect(text).toContain("d24: 24");
    expect(text.at(-1)).toBe("… 5 more details");
    const html = formatAlertHtml(many, BERLIN).split("\n");
    expect(html.filter((line) => line.startsWith("<i>d"))).toHaveLength(MAX_DETAILS);
    expect(html.at(-1)).toBe("<i>… 5 more details</i>");
    expect(Object.keys(alertWebhookPayload(many, BERLIN).details as object)).toHaveLength(MAX_DETAILS);
  });

  it("counts every detail that did not fit Telegram's message as not shown", () => {
    const details = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, "&".repeat(300)]));
    const html = formatAlertHtml(alert({ details }), BERLIN).split("\n");
    const shown = html.filter((line) => line.startsWith("<i>field")).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(20);
    expect(html.at(-1)).toBe(`<i>… ${20 - shown} more details</i>`);
  });

  it("fills Telegram's message up to 60 characters short of 4096 with details, to the character", () => {
    const base = alert({ details: {} });
    const fixed = formatAlertHtml(base, BERLIN).length;
    const budget = TELEGRAM_TEXT_LIMIT - fixed - 60;
    const full = "&".repeat(MAX_DETAIL_CHARS); // 1,500 characters once escaped
    const lineCost = (escapedLength: number) => "<i>a</i>: ".length + escapedLength + 1;
    const left = budget - 2 * lineCost(5 * MAX_DETAIL_CHARS);
    /** A value that escapes to exactly `length` characters. */
    const sized = (length: number) => {
      const ampersands = Math.floor((length - 50) / 5);
      return `${"&".repeat(ampersands)}${"x".repeat(length - 5 * ampersands)}`;
    };
    const exact = sized(left - lineCost(0));
    const fits = formatAlertHtml({ ...base, details: { a: full, b: full, c: exact } }, BERLIN);
    expect(fits.split("\n").filter((line) => line.startsWith("<i>"))).toHaveLength(3);
    expect(fits).not.toContain("more details");
    const over = formatAlertHtml({ ...base, details: { a: full, b: full, c: `${exact}x` } }, BERLIN);
    expect(over.split("\n").filter((line) => /^<i>[abc]<\/i>/.test(line))).toHaveLength(2);
    expect(over.endsWith("<i>… 1 more details</i>")).toBe(true);
    expect(over.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
  });
});

describe("webhook payload", () => {
  it("carries the alert as structured fields, with the secrets masked and string values bounded", () => {
    const payload = alertWebhookPayload(
      alert({
        details: { "token hunter2": "pw hunter2", long: "v".repeat(400), count: 3, ok: true, none: null },
        repeatCount: 2,
        lastRepeatAt: LATER,
      }),
      { timeZone: "UTC", secrets: ["hunter2"] },
    );
    expect(payload).toEqual({
      text: expect.stringContaining("[ERROR] publication_failed (x:main)") as unknown,
      content: payload.text,
      id: 7,
      type: "publication_failed",
      level: "error",
      key: "x:main",
      message: "X answered 503",
      details: { "token [REDACTED]": "pw [REDACTED]", long: `${"v".repeat(299)}…`, count: 3, ok: true, none: null },
      occurredAt: "2025-07-01T12:00:05.000Z",
      timeZone: "UTC",
      repeatCount: 2,
      lastRepeatAt: "2025-07-01T12:01:00.000Z",
      kind: "alert",
    });
    expect(alertWebhookPayload(alert(), BERLIN).lastRepeatAt).toBeNull();
  });

  it("a repeat follow-up is the repeat text, marked as such", () => {
    const repeated = alert({ repeatCount: 3, lastRepeatAt: LATER });
    const payload = alertWebhookPayload(repeated, BERLIN, true);
    expect(payload).toMatchObject({ kind: "repeat", repeatCount: 3, text: formatRepeatText(repeated, BERLIN) });
    expect(payload.content).toBe(payload.text);
  });
});
