/**
 * The three delivery channels behind one small interface. Each either resolves (delivered) or
 * throws a {@link ChannelError} that says whether the channel asked us to wait (rate limit).
 */
import { createTransport } from "nodemailer";
import { redactSecrets } from "../logger.js";
import { clip } from "../text/clip.js";
import {
  alertWebhookPayload,
  formatAlertHtml,
  formatAlertSubject,
  formatAlertText,
  formatRepeatText,
  type AlertView,
  type FormatOptions,
} from "./format.js";
import type { AlertChannel } from "./types.js";

/**
 * Sends HTML messages to the admin chat (the lead implements it with the Bot API; see
 * {@link createTelegramAlertSender}). Errors shaped like grammY's `GrammyError` (`error_code`,
 * `description`, `parameters.retry_after`) are understood: 429 makes the channel rest.
 */
export interface TelegramAlertSender {
  /** Sends a message; resolves with its message_id. */
  send(html: string): Promise<number>;
  /** Replaces the text of a message sent earlier. */
  edit(messageId: number, html: string): Promise<void>;
}

/** The Bot API calls {@link createTelegramAlertSender} needs (grammY's `Api` fits). */
export interface AlertBotApi {
  sendMessage(
    chatId: number,
    text: string,
    other: { parse_mode: "HTML"; link_preview_options: { is_disabled: boolean } },
  ): Promise<{ message_id: number }>;
  editMessageText(
    chatId: number,
    messageId: number,
    text: string,
    other: { parse_mode: "HTML"; link_preview_options: { is_disabled: boolean } },
  ): Promise<unknown>;
}

/**
 * A {@link TelegramAlertSender} over the Bot API. Give it an `Api` without auto-retry (a plain
 * `new Api(token, { apiRoot })`): the worker honours `retry_after` itself and must not sit in a
 * 30-second retry while other alerts could go out on a fallback channel.
 */
export function createTelegramAlertSender(api: AlertBotApi, chatId: number): TelegramAlertSender {
  const other = { parse_mode: "HTML", link_preview_options: { is_disabled: true } } as const;
  return {
    async send(html) {
      return (await api.sendMessage(chatId, html, other)).message_id;
    },
    async edit(messageId, html) {
      await api.editMessageText(chatId, messageId, html, other);
    },
  };
}

/** A failed channel try; `retryAfterMs` is set when the channel asked us to wait (429). */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    /** Telegram: the message cannot be edited any more (deleted, too old): send a new one. */
    readonly cannotEdit = false,
  ) {
    super(message);
    this.name = "ChannelError";
  }
}

/** A channel as the worker uses it. */
export interface ChannelDriver {
  readonly name: AlertChannel;
  /**
   * Whether repeats can be shown as they come (Telegram edits its message); others get one
   * "×N more" follow-up once the dedup window is over.
   */
  readonly editable: boolean;
  /** Delivers the alert; resolves with the Telegram message id when there is one. */
  send(alert: AlertView): Promise<number | undefined>;
  /** Shows the alert's repeats: edits `messageId`, or sends a follow-up; resolves with a new message id if one was sent. */
  update(alert: AlertView, messageId: number | null): Promise<number | undefined>;
}

interface ApiErrorShape {
  error_code?: unknown;
  description?: unknown;
  parameters?: { retry_after?: unknown };
}

/** Turns whatever the Telegram port threw into a {@link ChannelError}. */
function telegramError(error: unknown, secrets: readonly string[]): ChannelError {
  if (error instanceof ChannelError) return error;
  const shape = (typeof error === "object" && error !== null ? error : {}) as ApiErrorShape;
  const code = typeof shape.error_code === "number" ? shape.error_code : undefined;
  const description =
    typeof shape.description === "string" ? shape.description : error instanceof Error ? error.message : String(error);
  const text = clip(redactSecrets(`telegram${code ? ` ${code}` : ""}: ${description}`, secrets), 300);
  if (code === 429) {
    const seconds = typeof shape.parameters?.retry_after === "number" ? shape.parameters.retry_after : 5;
    return new ChannelError(text, Math.max(1, seconds) * 1000);
  }
  const cannotEdit = code === 400 && /message to edit not found|message can't be edited|MESSAGE_ID_INVALID/i.test(description);
  return new ChannelError(text, undefined, cannotEdit);
}

function isNotModified(error: unknown): boolean {
  const shape = (typeof error === "object" && error !== null ? error : {}) as ApiErrorShape;
  return shape.error_code === 400 && typeof shape.description === "string" && /message is not modified/i.test(shape.description);
}

/** The Telegram channel: HTML messages in the admin chat, edited to show repeats. */
export function telegramChannel(sender: TelegramAlertSender, format: FormatOptions): ChannelDriver {
  return {
    name: "telegram",
    editable: true,
    async send(alert) {
      try {
        return await sender.send(formatAlertHtml(alert, format));
      } catch (error) {
        throw telegramError(error, format.secrets);
      }
    },
    async update(alert, messageId) {
      if (messageId !== null) {
        try {
          await sender.edit(messageId, formatAlertHtml(alert, format));
          return undefined;
        } catch (error) {
          if (isNotModified(error)) return undefined;
          const failure = telegramError(error, format.secrets);
          if (!failure.cannotEdit) throw failure;
        }
      }
      // The message is gone or too old to edit: the repeats go out as a new message, edited from now on.
      try {
        return await sender.send(formatAlertHtml(alert, format, "↪️ still happening (the first message could not be edited)"));
      } catch (error) {
        throw telegramError(error, format.secrets);
      }
    },
  };
}

/** Per-request timeout of the webhook and SMTP channels. */
export const CHANNEL_TIMEOUT_MS = 10_000;

/** The webhook channel: a JSON POST that Slack and Discord incoming webhooks accept as it is. */
export function webhookChannel(url: string, format: FormatOptions, fetchImpl: typeof fetch): ChannelDriver {
  async function post(payload: Record<string, unknown>): Promise<undefined> {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(CHANNEL_TIMEOUT_MS),
      });
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new ChannelError(clip(redactSecrets(`webhook unreachable: ${reason}`, format.secrets), 300));
    }
    const body = await response.text().catch(() => "");
    if (response.ok) return undefined;
    const detail = clip(redactSecrets(`webhook answered ${response.status}: ${body.trim()}`, format.secrets), 300);
    if (response.status === 429) {
      const seconds = Number(response.headers.get("retry-after"));
      throw new ChannelError(detail, (Number.isFinite(seconds) && seconds > 0 ? seconds : 30) * 1000);
    }
    throw new ChannelError(detail);
  }
  return {
    name: "webhook",
    editable: false,
    send: (alert) => post(alertWebhookPayload(alert, format)),
    update: (alert) => post(alertWebhookPayload(alert, format, true)),
  };
}

/** What the e-mail channel needs of an SMTP transport (nodemailer's, or a test's). */
export interface MailTransport {
  sendMail(message: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
}

/** The e-mail channel: one plain-text mail per alert over SMTP (nodemailer). */
export function emailChannel(
  settings: { readonly smtpUrl: string; readonly to: string; readonly from: string },
  format: FormatOptions,
  transport: MailTransport = createTransport({
    url: settings.smtpUrl,
    connectionTimeout: CHANNEL_TIMEOUT_MS,
    greetingTimeout: CHANNEL_TIMEOUT_MS,
    socketTimeout: CHANNEL_TIMEOUT_MS,
  }),
): ChannelDriver {
  async function mail(subject: string, text: string): Promise<undefined> {
    try {
      await transport.sendMail({ from: settings.from, to: settings.to, subject, text });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ChannelError(clip(redactSecrets(`smtp: ${reason}`, format.secrets), 300));
    }
    return undefined;
  }
  return {
    name: "email",
    editable: false,
    send: (alert) => mail(formatAlertSubject(alert, format), formatAlertText(alert, format)),
    update: (alert) =>
      mail(`${formatAlertSubject(alert, format)} — repeated`, formatRepeatText(alert, format)),
  };
}
