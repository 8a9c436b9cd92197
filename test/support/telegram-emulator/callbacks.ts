// answerCallbackQuery: only for queries the emulator sent, recorded for tests.
import type { EmulatorState } from "./state.js";
import type { CallbackAnswer } from "./types.js";
import { bad, optString, type Json } from "./values.js";

/** answerCallbackQuery. */
export function answerCallback(s: EmulatorState, p: Json): true {
  const id = optString(p.callback_query_id);
  if (id === undefined || !s.callbackIds.has(id)) {
    throw bad("query is too old and response timeout expired or query ID is invalid");
  }
  const a: CallbackAnswer = { callbackQueryId: id };
  const text = optString(p.text);
  if (text !== undefined) a.text = text;
  if (p.show_alert !== undefined) a.showAlert = p.show_alert === true || p.show_alert === "true";
  s.answers.push(a);
  s.notify();
  return true;
}
