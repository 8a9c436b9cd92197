import { escapeHtml } from "../../text/html.js";
import { formatDateTime } from "../../text/time.js";
import { ConnectError, type OAuth2Connect } from "../../workflow/oauth2-connect.js";
import type { BotContext } from "../context.js";
import { actorOf } from "../filters/actor.js";

/**
 * Answers `ctx` with an X authorization link for an account to be labelled `label`, or with
 * why there is none (not configured, label taken). The link is good for one use within 10 minutes.
 */
export async function replyWithConnectLink(ctx: BotContext, connect: OAuth2Connect | undefined, label: string): Promise<void> {
  if (!connect) {
    await ctx.reply("Connecting X accounts is not available in this process.");
    return;
  }
  try {
    const link = await connect.start(label, actorOf(ctx) ?? undefined);
    await ctx.reply(
      `🔗 <a href="${escapeHtml(link.url)}">Authorize the bot on X</a> as the account to connect as <b>${escapeHtml(label)}</b>.\n` +
        `Sign in to X as that account first. The link works once, until ${escapeHtml(formatDateTime(link.expiresAt, ctx.config.timeZone))}.`,
      { parse_mode: "HTML", link_preview_options: { is_disabled: true } },
    );
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    await ctx.reply(`Not connecting: ${error.message}`);
  }
}
