import { GrammyError, type Api } from "grammy";
import type { CardSink } from "../../workflow/card-sync.js";
import { renderCard, renderCardKeyboard } from "./render-card.js";

/** Telegram errors that mean "nothing left to do" for an edit. */
function isHarmlessEditError(error: unknown): boolean {
  return (
    error instanceof GrammyError &&
    error.error_code === 400 &&
    /message is not modified|message to edit not found/i.test(error.description)
  );
}

/** Cards as messages in the admin chat (HTML, link previews off). */
export function createTelegramCardSink(api: Api, adminChatId: number): CardSink {
  return {
    async send(view) {
      const message = await api.sendMessage(adminChatId, renderCard(view), {
        parse_mode: "HTML",
        reply_markup: renderCardKeyboard(view),
        link_preview_options: { is_disabled: true },
      });
      return message.message_id;
    },
    async update(messageId, view) {
      try {
        await api.editMessageText(adminChatId, messageId, renderCard(view), {
          parse_mode: "HTML",
          reply_markup: renderCardKeyboard(view),
          link_preview_options: { is_disabled: true },
        });
      } catch (error) {
        if (!isHarmlessEditError(error)) throw error;
      }
    },
  };
}
