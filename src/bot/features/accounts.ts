import { createConversation } from "@grammyjs/conversations";
import { Composer, type Context } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import { escapeHtml } from "../../text/html.js";
import { formatLocalTime } from "../../text/time.js";
import type { AccountLine, RemovalCandidate } from "../../workflow/accounts-view.js";
import { accountsCallbacks } from "../callback-data/accounts.js";
import type { BotContext } from "../context.js";
import { ADD_ACCOUNT_CONVERSATION, createAddAccountConversation } from "../conversations/add-account.js";
import { actorOf } from "../filters/actor.js";
import { replyWithConnectLink } from "./accounts-connect.js";
import type { FeatureServices } from "./services.js";

/** Commands of this feature, for /help and the Telegram menu. */
export const ACCOUNTS_COMMANDS = [
  { command: "accounts", description: "X accounts: list; add (private chat), connect, disable, enable, remove <label>" },
] as const satisfies readonly { command: string; description: string }[];

/** What `/accounts` needs. */
export type AccountsFeatureDeps = Pick<FeatureServices, "accounts" | "accountAdmin" | "oauth2Connect" | "now">;

/** One `/accounts <name> …` subcommand: its usage line and what it does with the words after its name. */
export interface AccountsSubcommand {
  readonly usage: string;
  run(ctx: BotContext, args: readonly string[]): Promise<unknown>;
}

const STATUS_ICON = { active: "🟢", failed: "🔴", disabled: "⚪" } as const;
const AUTH_KIND = { oauth1: "OAuth 1.0a", oauth2: "OAuth 2.0" } as const;

/**
 * X's rate limit on posting: the window this process saw last (live) when it knows one, else the wait stored on the
 * row (a 429, or a window saved at the last shutdown), which also shows beside a live window that ends sooner.
 */
function rateLimitText(line: AccountLine, at: (date: Date) => string): string {
  const live = line.liveWindow;
  const held = line.rateLimitedUntil;
  if (!live) return held ? `rate limited until ${at(held)} (stored)` : "no rate-limit wait";
  const window = live.remaining > 0 ? `X window ${live.remaining}/${live.limit} posts left, resets ${at(live.resetAt)}` : `rate limited until ${at(live.resetAt)}`;
  return held && (live.remaining > 0 || held > live.resetAt) ? `${window} · rate limited until ${at(held)}` : window;
}

/** One account of the list: who, status, origin and auth kind; then its load against its limits, waits and checks. */
export function renderAccountLine(line: AccountLine, timeZone: string, now: Date): string {
  const at = (date: Date) => formatLocalTime(date, timeZone, now);
  const status = line.status === "failed" ? `failed: ${line.failureReason ?? "no reason recorded"}` : line.status;
  const head = [line.label, line.username ? `@${line.username}` : "identity not resolved yet", status, line.origin, AUTH_KIND[line.authKind]];
  const load = [
    `posts ${line.postsLastHour}/${line.maxPerHour} this hour, ${line.postsLastDay}/${line.maxPerDay} today`,
    rateLimitText(line, at),
    line.lastVerifiedAt ? `verified ${at(line.lastVerifiedAt)}` : "not verified yet",
  ];
  return `${STATUS_ICON[line.status]} ${escapeHtml(head.join(" · "))}\n   ${escapeHtml(load.join(" · "))}`;
}

/** The `/accounts remove` question: what happens to the replies only this account may publish. */
export function renderRemovalQuestion(candidate: RemovalCandidate): { text: string; buttons: InlineKeyboardButton[][] } {
  const name = candidate.username ? `${candidate.label} (@${candidate.username})` : candidate.label;
  const data = { accountId: candidate.id };
  const keep = { text: "Don't remove", callback_data: accountsCallbacks.keep.pack(data) };
  if (candidate.boundReplies === 0) {
    return {
      text: `Remove ${name}? Its credentials are erased.`,
      buttons: [[{ text: "🗑 Remove", callback_data: accountsCallbacks.removeCancelBound.pack(data) }, keep]],
    };
  }
  const n = candidate.boundReplies;
  return {
    text:
      `Remove ${name}? ${n} ${n === 1 ? "reply awaits" : "replies await"} approval or publishing that only it may post ` +
      "(their posts summoned it). Free replies are not affected.",
    buttons: [
      [{ text: `Cancel ${n === 1 ? "it" : "them"}`, callback_data: accountsCallbacks.removeCancelBound.pack(data) }],
      [{ text: `Keep ${n === 1 ? "it" : "them"} waiting (for it to be added again)`, callback_data: accountsCallbacks.removeKeepBound.pack(data) }],
      [keep],
    ],
  };
}

/** `/accounts` and its subcommands (one table, {@link AccountsSubcommand}), the add conversation and the remove buttons. */
export function createAccountsFeature(services: AccountsFeatureDeps): Composer<BotContext> {
  const { accounts, accountAdmin } = services;
  const now = services.now ?? (() => new Date());
  const feature = new Composer<BotContext>();
  feature.use(createConversation<BotContext, Context>(createAddAccountConversation({ admin: accountAdmin, view: accounts }), ADD_ACCOUNT_CONVERSATION));

  /** A subcommand that takes exactly one label. */
  const withLabel = (usage: string, run: (ctx: BotContext, label: string) => Promise<unknown>): AccountsSubcommand => ({
    usage,
    run: (ctx, args) => (args.length === 1 ? run(ctx, args[0]!) : ctx.reply(`Usage: ${usage}`)),
  });

  const subcommands: Record<string, AccountsSubcommand> = {
    list: {
      usage: "/accounts",
      async run(ctx) {
        const lines = await accounts.list();
        if (lines.length === 0) return ctx.reply("No X accounts yet. Add one with /accounts add in a private chat with me.");
        const body = lines.map((line) => renderAccountLine(line, ctx.config.timeZone, now())).join("\n");
        return ctx.reply(`<b>X accounts</b> (${lines.length})\n\n${body}`, { parse_mode: "HTML" });
      },
    },
    add: {
      usage: "/accounts add",
      async run(ctx) {
        if (ctx.chat?.type !== "private") {
          return ctx.reply(
            `Credentials sent here would be seen by everyone in this chat: send /accounts add to me in a private chat (@${ctx.me.username}).`,
          );
        }
        if (!accountAdmin.canStore) return ctx.reply("Accounts cannot be stored without ENCRYPTION_KEY (DATABASE_URL is set): set it first.");
        const adminId = actorOf(ctx);
        if (adminId === null) return undefined;
        await ctx.conversation.exitAll();
        return ctx.conversation.enter(ADD_ACCOUNT_CONVERSATION, adminId);
      },
    },
    connect: withLabel("/accounts connect <label>", (ctx, label) => replyWithConnectLink(ctx, services.oauth2Connect, label)),
    disable: withLabel("/accounts disable <label>", async (ctx, label) => ctx.reply((await accountAdmin.disable(label)).message)),
    enable: withLabel("/accounts enable <label>", async (ctx, label) => ctx.reply((await accountAdmin.enable(label)).message)),
    remove: withLabel("/accounts remove <label>", async (ctx, label) => {
      const candidate = await accounts.removalCandidate(label);
      if (!candidate) return ctx.reply(`No account ${label}.`);
      if (candidate.origin === "env") return ctx.reply(`${label} comes from the environment: remove it there (or /accounts disable ${label}).`);
      const { text, buttons } = renderRemovalQuestion(candidate);
      return ctx.reply(text, { reply_markup: { inline_keyboard: buttons } });
    }),
  };
  const usage = () => `Usage:\n${Object.values(subcommands).map((subcommand) => subcommand.usage).join("\n")}`;

  feature.command("accounts", async (ctx) => {
    const [name = "list", ...args] = ctx.match.trim().split(/\s+/).filter((word) => word !== "");
    const subcommand = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
    await (subcommand ? subcommand.run(ctx, args) : ctx.reply(usage()));
  });

  const answerRemoval = async (ctx: BotContext, text: string) => {
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(text).catch((error: unknown) => ctx.logger.debug({ err: error }, "removal question already answered"));
  };
  feature.callbackQuery(accountsCallbacks.removeCancelBound.filter, async (ctx) => {
    const { accountId } = accountsCallbacks.removeCancelBound.unpack(ctx.callbackQuery.data);
    await answerRemoval(ctx, (await accountAdmin.remove(accountId, "cancel")).message);
  });
  feature.callbackQuery(accountsCallbacks.removeKeepBound.filter, async (ctx) => {
    const { accountId } = accountsCallbacks.removeKeepBound.unpack(ctx.callbackQuery.data);
    await answerRemoval(ctx, (await accountAdmin.remove(accountId, "keep")).message);
  });
  feature.callbackQuery(accountsCallbacks.keep.filter, async (ctx) => {
    const { accountId } = accountsCallbacks.keep.unpack(ctx.callbackQuery.data);
    const candidate = await accounts.removalCandidateById(accountId);
    await answerRemoval(ctx, candidate ? `${candidate.label} stays.` : "This account is no longer in the pool.");
  });
  return feature;
}
