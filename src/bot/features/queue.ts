import { Composer } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import { clipFlat } from "../../text/clip.js";
import type { QueuePage } from "../../workflow/queue-view.js";
import { formatLocalTime } from "../../text/time.js";
import type { BatchView } from "../../workflow/bulk/progress.js";
import { countOf } from "../../workflow/bulk/tally.js";
import { bulkCallbacks } from "../callback-data/bulk.js";
import { queuePageCallback } from "../callback-data/queue.js";
import { formatElapsed } from "../cards/render-batch.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";
import type { FeatureServices } from "./services.js";

/** Commands of this feature, for /help and the Telegram menu. */
export const QUEUE_COMMANDS = [{ command: "queue", description: "Drafts awaiting approval and scheduled replies" }] as const satisfies readonly {
  command: string;
  description: string;
}[];

/** Replies per page of /queue. */
export const QUEUE_PAGE_SIZE = 8;

const STATUS_ICON = { awaiting_approval: "🟡", approved: "🕒", publishing: "📤" } as const;

/** Renders one page of the queue: text and pagination buttons (Newer on all but the first, Older on all but the last). */
export function renderQueuePage(
  view: QueuePage,
  timeZone: string,
  now: Date = new Date(),
): { text: string; buttons: InlineKeyboardButton[] } {
  const lines = view.entries.map((entry) => {
    const when =
      entry.status === "approved" && entry.scheduledAt
        ? ` · ${escapeHtml(formatLocalTime(entry.scheduledAt, timeZone, now))}`
        : "";
    const from = entry.account ? ` · from ${escapeHtml(entry.account)}` : "";
    return `${STATUS_ICON[entry.status]} #${entry.replyId} ${escapeHtml(entry.author)}${when}${from}\n   ${escapeHtml(clipFlat(entry.draft, 80))}`;
  });
  const header = `<b>Queue</b>: ${view.total} open (page ${view.page + 1}/${view.pages})`;
  const footer = view.unanswerable > 0 ? `\n🚷 ${view.unanswerable} posts not answerable (author did not mention us)` : "";
  const buttons: InlineKeyboardButton[] = [];
  if (view.page > 0) buttons.push({ text: "◀️ Newer", callback_data: queuePageCallback.pack({ page: view.page - 1 }) });
  if (view.page < view.pages - 1) buttons.push({ text: "Older ▶️", callback_data: queuePageCallback.pack({ page: view.page + 1 }) });
  const body = lines.length > 0 ? lines.join("\n") : "Nothing awaiting approval or scheduled.";
  return { text: `${header}\n\n${body}${footer}`, buttons };
}

/** Finished batches /queue lists under the replies. */
export const QUEUE_RECENT_BATCHES = 3;

/** The last batches, one line each: when, what came of them, how long they took. */
export function renderRecentBatches(batches: readonly BatchView[], timeZone: string, now: Date): string {
  if (batches.length === 0) return "";
  const lines = batches.map((batch) => {
    const { tally } = batch;
    const when = batch.startedAt ? escapeHtml(formatLocalTime(batch.startedAt, timeZone, now)) : "";
    const took = batch.startedAt && batch.finishedAt ? `, ${formatElapsed(batch.finishedAt.getTime() - batch.startedAt.getTime())}` : "";
    const counts = (["published", "failed", "skipped", "cancelled", "rejected"] as const)
      .map((outcome) => [outcome, countOf(tally, outcome)] as const)
      .filter(([outcome, count]) => count > 0 || outcome === "published")
      .map(([outcome, count]) => `${count} ${outcome}`)
      .join(", ");
    return `• #${batch.id} ${when}: ${counts}${took}${batch.cancelled ? " (cancelled)" : ""}`;
  });
  return `\n\n<b>Last batches</b>\n${lines.join("\n")}`;
}

/** The bulk row of /queue: Approve all (N), Select, Reject all; none when no draft awaits approval. */
export function bulkButtons(awaiting: number): InlineKeyboardButton[] {
  if (awaiting === 0) return [];
  return [
    { text: `✅ Approve all (${awaiting})`, callback_data: bulkCallbacks.approveAll.pack({}) },
    { text: "☑️ Select", callback_data: bulkCallbacks.select.pack({}) },
    { text: "🗑 Reject all", callback_data: bulkCallbacks.rejectAll.pack({}) },
  ];
}

/** /queue and its page buttons, which turn the page in place; with `bulk`, the bulk buttons and the last batches. */
export function createQueueFeature(services: Pick<FeatureServices, "queue" | "now"> & Partial<Pick<FeatureServices, "bulk">>): Composer<BotContext> {
  const { queue, bulk } = services;
  const now = services.now ?? (() => new Date());
  const feature = new Composer<BotContext>();
  const render = async (page: number, timeZone: string) => {
    const view = await queue.page(page, QUEUE_PAGE_SIZE);
    const { text, buttons } = renderQueuePage(view, timeZone, now());
    const rows = [buttons, bulk ? bulkButtons(view.awaiting) : []].filter((row) => row.length > 0);
    const recent = bulk ? renderRecentBatches(await bulk.recent(QUEUE_RECENT_BATCHES), timeZone, now()) : "";
    return { text: text + recent, reply_markup: { inline_keyboard: rows } };
  };
  feature.command("queue", async (ctx) => {
    const { text, reply_markup } = await render(0, ctx.config.timeZone);
    await ctx.reply(text, { parse_mode: "HTML", reply_markup });
  });
  feature.callbackQuery(queuePageCallback.filter, async (ctx) => {
    const { page } = queuePageCallback.unpack(ctx.callbackQuery.data);
    const { text, reply_markup } = await render(page, ctx.config.timeZone);
    await ctx.answerCallbackQuery();
    await ctx
      .editMessageText(text, { parse_mode: "HTML", reply_markup })
      .catch((error: unknown) => ctx.logger.debug({ err: error }, "queue page unchanged"));
  });
  return feature;
}
