import { GrammyError, HttpError, type Api } from "grammy";
import { CardRefusedError, CardSinkUnavailableError, type CardSink } from "../../workflow/card-sync.js";
import { renderCard, renderCardKeyboard } from "./render-card.js";

/** Telegram errors that mean "nothing left to do" for an edit. */
function isHarmlessEditError(error: unknown): boolean {
  return (
    error instanceof GrammyError &&
    error.error_code === 400 &&
    /message is not modified|message to edit not found/i.test(error.description)
  );
}

/** 400s about the admin chat itself, not the card: every card would get them. */
const CHAT_REFUSALS = /chat not found|not enough rights|have no rights|need administrator rights|CHAT_WRITE_FORBIDDEN|CHAT_RESTRICTED|bot was kicked|group chat was upgraded/i;

/**
 * Sorts what Telegram threw: down, rate-limited, or refusing the chat or the token is
 * {@link CardSinkUnavailableError} (no card can go out: the pass stops); any other Bot API error
 * refused this card ({@link CardRefusedError}: it is marked failed and the next cards go out).
 */
function classify(error: unknown): unknown {
  // No answer came back: the request may have reached Telegram all the same.
  if (error instanceof HttpError) return new CardSinkUnavailableError(`Telegram unreachable: ${error.message}`, { cause: error, mayHaveSent: true });
  if (!(error instanceof GrammyError)) return error;
  const code = error.error_code;
  if (code === 429 || code >= 500 || code === 401 || code === 403 || (code === 400 && CHAT_REFUSALS.test(error.description))) {
    return new CardSinkUnavailableError(`Telegram ${code}: ${error.description}`, { cause: error });
  }
  return new CardRefusedError(`Telegram ${code}: ${error.description}`, { cause: error });
}

/** Cards as messages in the admin chat (HTML, link previews off). */
export function createTelegramCardSink(api: Api, adminChatId: number): CardSink {
  return {
    async send(view) {
      try {
        const message = await api.sendMessage(adminChatId, renderCard(view), {
          parse_mode: "HTML",
          reply_markup: renderCardKeyboard(view),
          link_preview_options: { is_disabled: true },
        });
        return message.message_id;
      } catch (error) {
        throw classify(error);
      }
    },
    async update(messageId, view) {
      try {
        await api.editMessageText(adminChatId, messageId, renderCard(view), {
          parse_mode: "HTML",
          reply_markup: renderCardKeyboard(view),
          link_preview_options: { is_disabled: true },
        });
      } catch (error) {
        if (!isHarmlessEditError(error)) throw classify(error);
      }
    },
  };
}
