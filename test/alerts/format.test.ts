/**
 * How alerts read: a header naming the level (each its own icon), the type and key, the time in
 * the bot's zone; escaped HTML; secrets redacted wherever they hide; long bodies trimmed.
 */
import { describe, expect, it } from "vitest";
import {
  alertWebhookPayload,
  formatAlertHtml,
  formatAlertSubject,
  formatAlertText,
  MAX_DETAIL_CHARS,
  TELEGRAM_TEXT_LIMIT,
  type AlertView,
} from "../../src/alerts/format.js";
import { toAlertRow } from "../../src/alerts/outbox.js";
import { ALERT_LEVELS } from "../../src/alerts/types.js";
import { loadConfig, secretsOf } from "../../src/config.js";

const AT = new Date("2025-07-01T12:00:05Z");
const BERLIN = { timeZone: "Europe/Berlin", secrets: [] };

function alert(overrides: Partial<AlertView> = {}): AlertView {
  return {
    id: 1,
    type: "publication_failed",
    level: "error",
    key: "x:main",
    message: "X answered 503",
    details: {},
    occurredAt: AT,
    repeatCount: 0,
    lastRepeatAt: null,
    ...overrides,
  };
}

describe("alert format", () => {
  it("names each level in the header with its own icon", () => {
    const headers = ALERT_LEVELS.map((level) => formatAlertHtml(alert({ level }), BERLIN).split("\n")[0]!);
    for (const [index, level] of ALERT_LEVELS.entries()) {
      expect(headers[index]).toContain(`<b>${level.toUpperCase()}</b>`);
      expect(headers[index]).toContain("<code>publication_failed</code>");
      expect(headers[index]).toContain("<code>x:main</code>");
    }
    expect(headers.filter((h) => h.includes("CRITICAL"))).toHaveLength(1);
    expect(new Set(headers.map((h) => h.split(" ")[0])).size).toBe(ALERT_LEVELS.length);
  });

  it("gives the time in the bot's time zone", () => {
    expect(formatAlertHtml(alert(), BERLIN)).toContain("2025-07-01 14:00:05 (Europe/Berlin)");
    expect(formatAlertHtml(alert(), { ...BERLIN, timeZone: "Asia/Kolkata" })).toContain("2025-07-01 17:30:05 (Asia/Kolkata)");
    expect(formatAlertText(alert(), BERLIN)).toContain("Time: 2025-07-01 14:00:05 (Europe/Berlin)");
  });

  it("escapes HTML in the message, key and details", () => {
    const html = formatAlertHtml(
      alert({ key: "<k>", message: "body <b>oops</b> & more", details: { "a<b": "x > y & z", count: 3, ok: false, none: null } }),
      BERLIN,
    );
    expect(html).toContain("body &lt;b&gt;oops&lt;/b&gt; &amp; more");
    expect(html).toContain("<code>&lt;k&gt;</code>");
    expect(html).toContain("<i>a&lt;b</i>: x &gt; y &amp; z");
    expect(html).toContain("<i>count</i>: 3");
    expect(html).toContain("<i>ok</i>: false");
    expect(html).toContain("<i>none</i>: null");
    expect(html).not.toContain("<b>oops</b>");
  });

  it("redacts a configured secret in a detail, the message and the subject, before trimming", () => {
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: "123456:SECRET-bot-token_value",
      ADMIN_CHAT_ID: "42",
      OPENAI_API_KEY: "sk-live-abcdef123456",
    });
    const options = { timeZone: "UTC", secrets: secretsOf(config) };
    const leaky = alert({
      message: "call failed with key sk-live-abcdef123456",
      details: { url: "https://api.telegram.org/bot123456:SECRET-bot-token_value/sendMessage", body: `${"x".repeat(290)}sk-live-abcdef123456` },
    });
    for (const text of [
      formatAlertHtml(leaky, options),
      formatAlertText(leaky, options),
      formatAlertSubject(leaky, options),
      JSON.stringify(alertWebhookPayload(leaky, options)),
    ]) {
      expect(text).not.toContain("SECRET-bot-token_value");
      expect(text).not.toContain("sk-live");
      expect(text).not.toContain("sk-li"); // not even the half a trim would leave
    }
    expect(formatAlertHtml(leaky, options)).toContain("[REDACTED]");
    // raise() stores the redacted form too
    const row = toAlertRow({ type: "publication_failed", level: "error", message: leaky.message, details: leaky.details }, AT, options.secrets);
    expect(JSON.stringify(row)).not.toContain("sk-live");
  });

  it("trims raw error bodies and keeps the message within Telegram's 4096 characters", () => {
    const body = "<html>".repeat(2_000);
    const details = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field${i}`, `${i}:${"&".repeat(500)}`]));
    const html = formatAlertHtml(alert({ message: "m".repeat(10_000), details: { body, ...details } }), BERLIN);
    expect(html.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    expect(html).toMatch(/… \d+ more details/);
    const bodyLine = html.split("\n").find((line) => line.startsWith("<i>body</i>"))!;
    expect(bodyLine.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&").length).toBeLessThanOrEqual(`<i>body</i>: `.length + MAX_DETAIL_CHARS);
    expect(bodyLine.endsWith("…")).toBe(true);
    expect(html).not.toMatch(/&[a-z]*…/); // never an entity cut in half
    const text = formatAlertText(alert({ details: { body } }), BERLIN);
    expect(text.split("\n").find((line) => line.startsWith("body: "))!.length).toBeLessThanOrEqual(6 + MAX_DETAIL_CHARS);
  });

  it("shows repeats as ×N more, in every variant", () => {
    const repeated = alert({ repeatCount: 19, lastRepeatAt: new Date("2025-07-01T12:04:00Z") });
    expect(formatAlertHtml(repeated, BERLIN)).toContain("×19 more (last 2025-07-01 14:04:00 (Europe/Berlin))");
    expect(formatAlertText(repeated, BERLIN)).toContain("×19 more");
    expect(formatAlertSubject(repeated, BERLIN)).toBe("[reply-guy-bot] ERROR publication_failed (×19 more): X answered 503");
    const payload = alertWebhookPayload(repeated, BERLIN);
    expect(payload).toMatchObject({ type: "publication_failed", level: "error", key: "x:main", repeatCount: 19 });
    expect(payload.text).toBe(payload.content);
  });

  it("gives webhooks Slack's text and Discord's content (≤ 2000) plus the structured alert", () => {
    const payload = alertWebhookPayload(alert({ message: "y".repeat(3_000), details: { account: "main" } }), BERLIN);
    expect(typeof payload.text).toBe("string");
    expect((payload.content as string).length).toBeLessThanOrEqual(2_000);
    expect(payload).toMatchObject({
      id: 1,
      type: "publication_failed",
      level: "error",
      details: { account: "main" },
      occurredAt: AT.toISOString(),
      timeZone: "Europe/Berlin",
      kind: "alert",
    });
  });
});
