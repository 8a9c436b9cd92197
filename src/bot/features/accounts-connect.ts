import { Composer } from "grammy";
import { escapeHtml } from "../../text/html.js";
import { formatDateTime } from "../../text/time.js";
import { ConnectError, type OAuth2Connect } from "../../workflow/oauth2-connect.js";
import type { BotContext } from "../context.js";
import { actorOf } from "../filters/actor.js";
import type { FeatureServices } from "./services.js";

/** The connect command, for /help and the Telegram command menu (`/accounts connect` calls {@link replyWithConnectLink}). */
export const ACCOUNTS_CONNECT_COMMANDS = [
  { command: "connect_account", description: "Connect an X account with OAuth 2.0: /connect_account <label>" },
] as const satisfies readonly { command: string; description: string }[];

/** What the connect feature needs. */
export type AccountsConnectDependencies = Pick<FeatureServices, "oauth2Connect">;

const USAGE = "Usage: /connect_account <label> — then open the link, sign in to X as the account and authorize the app.";

/**
 * Answers `ctx` with an X authorization link for an account to be labelled by the first word of `args`, or with
 * why there is none (not configured, label taken). The link is good for one use within 10 minutes.
 */
export async function replyWithConnectLink(ctx: BotContext, connect: OAuth2Connect | undefined, args: string): Promise<void> {
  const label = args.trim().split(/\s+/)[0] ?? "";
  if (label === "") {
    await ctx.reply(USAGE);
    return;
  }
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

/** /connect_account <label>: an X authorization link (OAuth 2.0 user context, PKCE) that adds the account to the pool. */
export function createAccountsConnectFeature(deps: AccountsConnectDependencies): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command("connect_account", (ctx) => replyWithConnectLink(ctx, deps.oauth2Connect, ctx.match));
  return feature;
}
