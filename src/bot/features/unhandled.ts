import { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** What a press on a button no feature recognises (malformed, foreign or outdated) is answered. */
export const STALE_BUTTON_TEXT = "This button is no longer valid.";

/** Mounted last: /cancel outside a conversation and unknown commands get a hint, stray button presses are still answered. */
export function createUnhandledFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.on("callback_query", async (ctx) => {
    await ctx.answerCallbackQuery({ text: STALE_BUTTON_TEXT });
  });
  // Reached only when no conversation is in progress: each one (edit, account add) consumes /cancel, wherever it is mounted.
  feature.command("cancel", (ctx) => ctx.reply("Nothing to cancel."));
  feature.on("message:entities:bot_command", async (ctx) => {
    await ctx.reply("Unknown command. Send /help for the list.");
  });
  return feature;
}
