import { Composer } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import { clipAnswer, clipFlat } from "../../text/clip.js";
import { escapeHtml } from "../../text/html.js";
import type { SelectionPage } from "../../workflow/bulk/selection.js";
import { bulkCallbacks } from "../callback-data/bulk.js";
import { renderPlan } from "../cards/render-batch.js";
import type { BotContext } from "../context.js";
import { actorOf } from "../filters/actor.js";
import type { FeatureServices } from "./services.js";

/** Drafts per page of the selection mode. */
export const SELECTION_PAGE_SIZE = 8;

/** A selection page: the drafts with a toggle each, page turns, and Approve selected. */
export function renderSelection(view: SelectionPage): { text: string; keyboard: InlineKeyboardButton[][] } {
  const lines = view.entries.map(
    (entry) => `${entry.selected ? "☑️" : "⬜️"} #${entry.replyId} ${escapeHtml(entry.author)}\n   ${escapeHtml(clipFlat(entry.draft, 80))}`,
  );
  const header = `<b>Select drafts</b>: ${view.selected} selected (page ${view.page + 1}/${view.pages})`;
  const toggles = view.entries.map((entry) => ({
    text: `${entry.selected ? "☑️" : "⬜️"} #${entry.replyId}`,
    callback_data: bulkCallbacks.toggle.pack({ batchId: view.batchId, replyId: entry.replyId, page: view.page }),
  }));
  const keyboard: InlineKeyboardButton[][] = [];
  for (let index = 0; index < toggles.length; index += 4) keyboard.push(toggles.slice(index, index + 4));
  const turns: InlineKeyboardButton[] = [];
  if (view.page > 0) turns.push({ text: "◀️ Newer", callback_data: bulkCallbacks.page.pack({ batchId: view.batchId, page: view.page - 1 }) });
  if (view.page < view.pages - 1) turns.push({ text: "Older ▶️", callback_data: bulkCallbacks.page.pack({ batchId: view.batchId, page: view.page + 1 }) });
  if (turns.length > 0) keyboard.push(turns);
  keyboard.push([
    { text: `✅ Approve selected (${view.selected})`, callback_data: bulkCallbacks.approveSelected.pack({ batchId: view.batchId }) },
    { text: "✖️ Cancel", callback_data: bulkCallbacks.dismiss.pack({ batchId: view.batchId }) },
  ]);
  const body = lines.length > 0 ? lines.join("\n") : "No drafts await approval.";
  return { text: `${header}\n\n${body}`, keyboard };
}

/**
 * The bulk buttons of /queue: Approve all, Reject all and the selection mode each end in a confirmation that
 * states what will happen; Confirm starts the batch (the workflow then edits that message into its progress and
 * summary), Cancel on the progress un-approves what is not claimed yet. Every press is answered.
 */
export function createBulkFeature(services: Pick<FeatureServices, "bulk" | "now">): Composer<BotContext> {
  const { bulk } = services;
  const now = services.now ?? (() => new Date());
  const feature = new Composer<BotContext>();
  const answer = (ctx: BotContext, text?: string) => ctx.answerCallbackQuery(text ? { text: clipAnswer(text) } : undefined);
  const edit = (ctx: BotContext, view: { text: string; keyboard: InlineKeyboardButton[][] }) =>
    ctx
      .editMessageText(view.text, { parse_mode: "HTML", reply_markup: { inline_keyboard: view.keyboard } })
      .catch((error: unknown) => ctx.logger.debug({ err: error }, "bulk message unchanged"));

  for (const [data, kind] of [
    [bulkCallbacks.approveAll, "approve"],
    [bulkCallbacks.rejectAll, "reject"],
  ] as const) {
    feature.callbackQuery(data.filter, async (ctx) => {
      // Checking every draft (and X for deleted posts) can take a moment: stop the spinner first.
      await answer(ctx, "Checking the drafts…");
      const plan = await bulk.prepareAll(kind, actorOf(ctx));
      const { text, keyboard } = renderPlan(plan, ctx.config.timeZone, now());
      await ctx.reply(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } });
    });
  }

  feature.callbackQuery(bulkCallbacks.select.filter, async (ctx) => {
    const batchId = await bulk.selection.start(actorOf(ctx));
    await answer(ctx);
    const { text, keyboard } = renderSelection(await bulk.selection.page(batchId, 0, SELECTION_PAGE_SIZE));
    await ctx.reply(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } });
  });

  feature.callbackQuery(bulkCallbacks.toggle.filter, async (ctx) => {
    const { batchId, replyId, page } = bulkCallbacks.toggle.unpack(ctx.callbackQuery.data);
    const result = await bulk.selection.toggle(batchId, replyId);
    await answer(ctx, result.ok ? undefined : result.message);
    if (result.ok) await edit(ctx, renderSelection(await bulk.selection.page(batchId, page, SELECTION_PAGE_SIZE)));
  });

  feature.callbackQuery(bulkCallbacks.page.filter, async (ctx) => {
    const { batchId, page } = bulkCallbacks.page.unpack(ctx.callbackQuery.data);
    await answer(ctx);
    await edit(ctx, renderSelection(await bulk.selection.page(batchId, page, SELECTION_PAGE_SIZE)));
  });

  feature.callbackQuery(bulkCallbacks.approveSelected.filter, async (ctx) => {
    const { batchId } = bulkCallbacks.approveSelected.unpack(ctx.callbackQuery.data);
    await answer(ctx, "Checking the drafts…");
    const result = await bulk.prepareSelection(batchId);
    if (!result.ok) return ctx.reply(result.message);
    await edit(ctx, renderPlan(result.plan, ctx.config.timeZone, now()));
  });

  feature.callbackQuery(bulkCallbacks.confirm.filter, async (ctx) => {
    const { batchId } = bulkCallbacks.confirm.unpack(ctx.callbackQuery.data);
    const message = ctx.callbackQuery.message;
    if (!message) return answer(ctx, "This confirmation is too old; start again from /queue.");
    // The batch edits this message into its progress itself; the answer only acknowledges the press.
    const result = await bulk.confirm(batchId, actorOf(ctx), { chatId: message.chat.id, messageId: message.message_id });
    await answer(ctx, result.ok ? `Started: ${result.decided} decided, ${result.skipped} skipped.` : result.message);
  });

  feature.callbackQuery(bulkCallbacks.dismiss.filter, async (ctx) => {
    const { batchId } = bulkCallbacks.dismiss.unpack(ctx.callbackQuery.data);
    const result = await bulk.dismiss(batchId);
    await answer(ctx, result.ok ? "Cancelled: nothing changed." : result.message);
    if (result.ok) await edit(ctx, { text: `Batch #${batchId} cancelled: nothing changed.`, keyboard: [] });
  });

  feature.callbackQuery(bulkCallbacks.cancel.filter, async (ctx) => {
    const { batchId } = bulkCallbacks.cancel.unpack(ctx.callbackQuery.data);
    const result = await bulk.cancel(batchId);
    await answer(ctx, result.ok ? `${result.unapproved} replies not claimed yet are back awaiting approval.` : result.message);
  });
  return feature;
}
