import { Composer } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import type { DeadLetters, DeadLetterSummary, DeadLetterView } from "../../workflow/dead-letters.js";
import { formatLocalTime } from "../../text/time.js";
import { dlqCallbacks } from "../callback-data/dlq.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";
import type { FeatureServices } from "./services.js";
import { clipAnswer, clipFlat } from "../../text/clip.js";

/** Commands of this feature, for /help and the Telegram menu. */
export const DLQ_COMMANDS = [
  { command: "dlq", description: "Failed publishes: retry now or discard" },
] as const satisfies readonly { command: string; description: string }[];

/** What the /dlq feature needs. */
export type DlqFeatureDeps = Pick<FeatureServices, "deadLetters" | "now">;

/** Entries shown by /dlq (each with a row of buttons). */
export const DLQ_LIST_SIZE = 10;

/** The one-line answer to /dlq with arguments. */
export const DLQ_USAGE = "Usage: /dlq (no arguments) — failed publishes, with Retry now and Discard buttons";

const STATUS_ICON = { pending: "⏳", retrying: "🔁", exhausted: "⛔" } as const;

function accountName(entry: DeadLetterView): string {
  if (entry.accountUsername) return `@${entry.accountUsername}`;
  return entry.accountLabel ?? `account ${entry.accountId}`;
}

function countsLine(counts: DeadLetterSummary): string {
  return [
    `${counts.pending} pending`,
    `${counts.retrying} retrying`,
    `${counts.exhausted} exhausted`,
    `${counts.retried_successfully} retried ok`,
    `${counts.discarded} discarded`,
  ].join(" · ");
}

function entryLines(entry: DeadLetterView, maxRetries: number, timeZone: string, now: Date): string {
  const status = entry.status as keyof typeof STATUS_ICON;
  const head = `${STATUS_ICON[status]} <b>#${entry.id}</b> · reply #${entry.replyId} · ${escapeHtml(accountName(entry))} · <code>${escapeHtml(entry.errorType)}</code>`;
  let state: string;
  if (status === "pending") {
    const when = entry.nextRetryAt ? formatLocalTime(entry.nextRetryAt, timeZone, now) : "now";
    state = `retries ${entry.retryCount}/${maxRetries} · next ${when}`;
  } else if (status === "retrying") {
    state = `retries ${entry.retryCount}/${maxRetries} · being retried now`;
  } else {
    state = entry.retryable ? `exhausted after ${entry.retryCount}/${maxRetries} retries` : "exhausted: not retryable";
  }
  return `${head}\n   ${escapeHtml(clipFlat(entry.error, 160))}\n   ${escapeHtml(state)}`;
}

/** The /dlq message: counts by status, the open and exhausted entries, and their buttons. */
export async function renderDlq(
  deadLetters: DeadLetters,
  timeZone: string,
  now: Date,
): Promise<{ text: string; keyboard: InlineKeyboardButton[][] }> {
  const counts = await deadLetters.summary();
  const entries = await deadLetters.list(DLQ_LIST_SIZE);
  const shown = counts.pending + counts.retrying + counts.exhausted;
  const header = `📮 <b>Dead letters</b>: ${countsLine(counts)}`;
  if (entries.length === 0) return { text: `${header}\n\nNo failed publishes to retry or discard.`, keyboard: [] };
  const body = entries.map((entry) => entryLines(entry, deadLetters.settings.maxRetries, timeZone, now)).join("\n");
  const more = shown > entries.length ? `\n… and ${shown - entries.length} more` : "";
  const keyboard = entries
    .filter((entry) => entry.status === "pending" || entry.status === "exhausted")
    .map((entry) => [
      { text: `↻ Retry now #${entry.id}`, callback_data: dlqCallbacks.retry.pack({ entryId: entry.id }) },
      { text: `🗑 Discard #${entry.id}`, callback_data: dlqCallbacks.discard.pack({ entryId: entry.id }) },
    ]);
  return { text: `${header}\n\n${body}${more}`, keyboard };
}

/** /dlq and its Retry now / Discard buttons. Every press is answered; a stale press changes nothing. */
export function createDlqFeature(deps: DlqFeatureDeps): Composer<BotContext> {
  const { deadLetters } = deps;
  const now = deps.now ?? (() => new Date());
  const feature = new Composer<BotContext>();

  feature.command("dlq", async (ctx) => {
    if (ctx.match.trim() !== "") return ctx.reply(DLQ_USAGE);
    const { text, keyboard } = await renderDlq(deadLetters, ctx.config.timeZone, now());
    await ctx.reply(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } });
  });

  const answer = (ctx: BotContext, text: string) => ctx.answerCallbackQuery({ text: clipAnswer(text) });
  const redraw = async (ctx: BotContext) => {
    const { text, keyboard } = await renderDlq(deadLetters, ctx.config.timeZone, now());
    await ctx
      .editMessageText(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } })
      .catch((error: unknown) => ctx.logger.debug({ err: error }, "dlq message unchanged"));
  };

  feature.callbackQuery(dlqCallbacks.discard.filter, async (ctx) => {
    const { entryId } = dlqCallbacks.discard.unpack(ctx.callbackQuery.data);
    const result = await deadLetters.discard(entryId);
    if (!result.ok) return answer(ctx, result.message);
    await answer(ctx, `Discarded #${result.entry.id}; reply #${result.entry.replyId} stays failed.`);
    await redraw(ctx);
  });

  feature.callbackQuery(dlqCallbacks.retry.filter, async (ctx) => {
    const { entryId } = dlqCallbacks.retry.unpack(ctx.callbackQuery.data);
    const result = await deadLetters.retryNow(entryId);
    if (!result.ok) return answer(ctx, result.message);
    // The retry reads and posts on X, which can take seconds: answer the press first.
    await answer(ctx, `Retrying #${result.entry.id} (reply #${result.entry.replyId}) now.`);
    try {
      await result.done;
    } catch (error) {
      ctx.logger.warn({ err: error, deadLetter: entryId }, "dead-letter retry failed");
    }
    await redraw(ctx);
  });

  return feature;
}
