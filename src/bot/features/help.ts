import { Composer } from "grammy";
import { BOT_COMMANDS } from "../commands.js";
import type { BotContext } from "../context.js";

/** The text of /start and /help: one line per command. */
export function helpText(): string {
  const lines = BOT_COMMANDS.map(({ command, description }) => `/${command} — ${description}`);
  return ["Reply Guy drafts replies to posts on X; you approve them here.", "", ...lines].join("\n");
}

/** /start and /help. */
export function createHelpFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command(["start", "help"], async (ctx) => {
    await ctx.reply(helpText(), { link_preview_options: { is_disabled: true } });
  });
  return feature;
}
