import { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** Mounted last: unknown commands get a hint, stray button presses are still answered. */
export const unhandledFeature = new Composer<BotContext>();

unhandledFeature.on("callback_query", async (ctx) => {
  await ctx.answerCallbackQuery({ text: "This button is no longer valid." });
});

unhandledFeature.on("message:entities:bot_command", async (ctx) => {
  await ctx.reply("Unknown command. Send /help for the list.");
});
