// Inline keyboards: parsed from reply_markup (with Telegram's 64-byte callback_data check) and back.
import type { BotMessageView } from "./types.js";
import { bad, isJson, type Json } from "./values.js";

/** The inline keyboard of a message view. */
export type Keyboard = BotMessageView["inlineKeyboard"];

/** The inline keyboard in `markup` ([] when there is none). */
export function parseKeyboard(markup: unknown): Keyboard {
  if (!isJson(markup) || !Array.isArray(markup.inline_keyboard)) return [];
  const rows: Keyboard = [];
  for (const row of markup.inline_keyboard) {
    if (!Array.isArray(row)) throw bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
    const out: Keyboard[number] = [];
    for (const b of row) {
      if (!isJson(b) || typeof b.text !== "string") throw bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      const button: Keyboard[number][number] = { text: b.text };
      if (typeof b.callback_data === "string") {
        const size = Buffer.byteLength(b.callback_data, "utf8");
        if (size < 1 || size > 64) throw bad("BUTTON_DATA_INVALID");
        button.callbackData = b.callback_data;
      }
      if (typeof b.url === "string") button.url = b.url;
      out.push(button);
    }
    rows.push(out);
  }
  return rows;
}

/** The reply_markup of a keyboard (undefined when empty). */
export function keyboardToMarkup(kb: Keyboard): Json | undefined {
  if (kb.length === 0) return undefined;
  return {
    inline_keyboard: kb.map((row) =>
      row.map((b) => ({
        text: b.text,
        ...(b.callbackData !== undefined ? { callback_data: b.callbackData } : {}),
        ...(b.url !== undefined ? { url: b.url } : {}),
      })),
    ),
  };
}
