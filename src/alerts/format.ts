/**
 * How an alert reads on each channel: Telegram HTML, plain text (e-mail) and JSON (webhook).
 *
 * Pure functions. Every text passes through secret redaction before it is clipped (a secret cut in
 * half by the clip would otherwise leak its first half) and is escaped for Telegram's HTML. Values
 * are bounded so that an error body pasted into `details` cannot blow the 4096-character limit.
 */
import { clip, clipHtml } from "../text/clip.js";
import { escapeHtml } from "../text/html.js";
import { formatTimestamp } from "../text/time.js";
import { redactSecrets } from "../logger.js";
import type { AlertLevel } from "./types.js";

/** An alert as the channels render it. */
export interface AlertView {
  readonly id: number;
  readonly type: string;
  readonly level: AlertLevel;
  readonly key: string;
  readonly message: string;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  readonly occurredAt: Date;
  /** Later occurrences folded into this alert (0 = none). */
  readonly repeatCount: number;
  readonly lastRepeatAt: Date | null;
}

/** Where and for whom an alert is rendered. */
export interface FormatOptions {
  readonly timeZone: string;
  /** Values masked wherever they appear (`secretsOf(config)`). */
  readonly secrets: readonly string[];
}

/** Telegram's limit on a message text. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** Discord's limit on a webhook `content`. */
export const DISCORD_CONTENT_LIMIT = 2000;
/** Longest detail value kept (a raw error body is cut here). */
export const MAX_DETAIL_CHARS = 300;
/** Longest message kept. */
export const MAX_MESSAGE_CHARS = 1500;
/** Most details shown. */
export const MAX_DETAILS = 25;

const LEVEL_ICON = {
  debug: "🐞",
  info: "ℹ️",
  warning: "⚠️",
  error: "🔴",
  critical: "🚨",
} as const satisfies Record<AlertLevel, string>;

interface CleanAlert {
  readonly level: string;
  readonly type: string;
  readonly key: string;
  readonly message: string;
  readonly details: readonly (readonly [string, string])[];
  readonly hiddenDetails: number;
  readonly time: string;
  readonly repeat: string | undefined;
}

function detailText(value: string | number | boolean | null): string {
  return value === null ? "null" : String(value);
}

/** Redacted, whitespace-tamed and bounded, not yet escaped. */
function clean(alert: AlertView, options: FormatOptions): CleanAlert {
  const redact = (text: string) => redactSecrets(text, options.secrets);
  const entries = Object.entries(alert.details);
  const details = entries
    .slice(0, MAX_DETAILS)
    .map(
      ([key, value]) =>
        [clip(redact(key).replace(/\s+/g, "_"), 60), clip(redact(detailText(value)).replace(/\s+/g, " ").trim(), MAX_DETAIL_CHARS)] as const,
    );
  const repeat =
    alert.repeatCount > 0
      ? `×${alert.repeatCount} more${alert.lastRepeatAt ? ` (last ${formatTimestamp(alert.lastRepeatAt, options.timeZone)})` : ""}`
      : undefined;
  return {
    level: alert.level.toUpperCase(),
    type: alert.type,
    key: clip(redact(alert.key), 100),
    message: clip(redact(alert.message).trim(), MAX_MESSAGE_CHARS),
    details,
    hiddenDetails: Math.max(0, entries.length - MAX_DETAILS),
    time: formatTimestamp(alert.occurredAt, options.timeZone),
    repeat,
  };
}

/**
 * The alert as a Telegram HTML message (≤ 4096 characters): level icon and name, type and key,
 * time in the admins' zone, the message, `key: value` details, and "×N more" once repeats came in.
 */
export function formatAlertHtml(alert: AlertView, options: FormatOptions, note?: string): string {
  const c = clean(alert, options);
  const head = [
    `${LEVEL_ICON[alert.level]} <b>${c.level}</b> · <code>${escapeHtml(c.type)}</code>${c.key ? ` · <code>${escapeHtml(c.key)}</code>` : ""}`,
    `🕒 ${escapeHtml(c.time)}`,
    ...(note ? [escapeHtml(note)] : []),
    "",
    clipHtml(c.message, 2_000),
  ];
  const tail = c.repeat ? ["", `🔁 <b>${escapeHtml(c.repeat)}</b>`] : [];
  const fixed = [...head, ...tail].join("\n").length;
  const budget = TELEGRAM_TEXT_LIMIT - fixed - 60; // room for the blank line and the "… more details" line
  const lines: string[] = [];
  let used = 0;
  let hidden = c.hiddenDetails;
  for (const [index, [key, value]] of c.details.entries()) {
    const line = `<i>${escapeHtml(key)}</i>: ${clipHtml(value, MAX_DETAIL_CHARS * 5)}`;
    if (used + line.length + 1 > budget) {
      hidden += c.details.length - index;
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  if (hidden > 0) lines.push(`<i>… ${hidden} more details</i>`);
  const text = [...head, ...(lines.length ? ["", ...lines] : []), ...tail].join("\n");
  return text.length <= TELEGRAM_TEXT_LIMIT ? text : clipHtml(`${c.level} ${c.type}: ${c.message}`, TELEGRAM_TEXT_LIMIT);
}

/** The alert as plain text (e-mail body, webhook `text`). */
export function formatAlertText(alert: AlertView, options: FormatOptions): string {
  const c = clean(alert, options);
  return [
    `[${c.level}] ${c.type}${c.key ? ` (${c.key})` : ""}`,
    `Time: ${c.time}`,
    "",
    c.message,
    ...(c.details.length ? ["", ...c.details.map(([key, value]) => `${key}: ${value}`)] : []),
    ...(c.hiddenDetails ? [`… ${c.hiddenDetails} more details`] : []),
    ...(c.repeat ? ["", c.repeat] : []),
  ].join("\n");
}

/** One line for an e-mail subject: "[reply-guy-bot] ERROR publication_failed: message". */
export function formatAlertSubject(alert: AlertView, options: FormatOptions): string {
  const c = clean(alert, options);
  const repeat = c.repeat ? ` (${c.repeat.replace(/ \(last .*\)$/, "")})` : "";
  return clip(`[reply-guy-bot] ${c.level} ${c.type}${repeat}: ${c.message.replace(/\s+/g, " ")}`, 150);
}

/** A short text telling that a delivered alert repeated (for channels whose messages cannot be edited). */
export function formatRepeatText(alert: AlertView, options: FormatOptions): string {
  const c = clean(alert, options);
  return `[${c.level}] ${c.type}${c.key ? ` (${c.key})` : ""} repeated ${c.repeat ?? "×0 more"} since ${c.time}: ${clip(c.message.replace(/\s+/g, " "), 300)}`;
}

/** The JSON a webhook receives: `text` (Slack) and `content` (Discord) plus the structured alert. */
export function alertWebhookPayload(alert: AlertView, options: FormatOptions, repeatOnly = false): Record<string, unknown> {
  const c = clean(alert, options);
  const text = repeatOnly ? formatRepeatText(alert, options) : formatAlertText(alert, options);
  return {
    text,
    content: clip(text, DISCORD_CONTENT_LIMIT),
    id: alert.id,
    type: c.type,
    level: alert.level,
    key: c.key,
    message: c.message,
    details: Object.fromEntries(
      Object.entries(alert.details)
        .slice(0, MAX_DETAILS)
        .map(([key, value]) => [
          redactSecrets(key, options.secrets),
          typeof value === "string" ? clip(redactSecrets(value, options.secrets), MAX_DETAIL_CHARS) : value,
        ]),
    ),
    occurredAt: alert.occurredAt.toISOString(),
    timeZone: options.timeZone,
    repeatCount: alert.repeatCount,
    lastRepeatAt: alert.lastRepeatAt?.toISOString() ?? null,
    kind: repeatOnly ? "repeat" : "alert",
  };
}
