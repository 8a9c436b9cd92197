import { GrammyError, type Api } from "grammy";
import type { BatchMessageSink } from "../../workflow/bulk/progress.js";
import { renderBatch } from "./render-batch.js";

/** A batch's progress message edited in place (HTML); an edit to the same text counts as done. */
export function createTelegramBatchSink(api: Api, timeZone: string, now: () => Date = () => new Date()): BatchMessageSink {
  return {
    async show(chatId, messageId, view) {
      const { text, keyboard } = renderBatch(view, timeZone, now());
      try {
        await api.editMessageText(chatId, messageId, text, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } });
      } catch (error) {
        if (error instanceof GrammyError && /message is not modified/i.test(error.description)) return;
        throw error;
      }
    },
  };
}
