import { Composer } from "grammy";
import {
  normaliseUsername,
  normaliseWatchValue,
  type WatchKind,
  type Watchlist,
} from "../../workflow/watchlist.js";
import type { BotContext } from "../context.js";
import { clip, ECHO_MAX } from "../../text/clip.js";
import { escapeHtml } from "../../text/html.js";
import { actorOf } from "../filters/actor.js";
import type { FeatureServices } from "./services.js";

/** The watchlist commands, for /help and the Telegram command menu. */
export const WATCHLIST_COMMANDS = [
  { command: "targets", description: "X accounts to watch: add, remove or list" },
  { command: "searches", description: "X searches to watch: add, remove or list" },
  { command: "topics", description: "Topic keywords found posts must match: add, remove or list" },
  { command: "optout", description: "Never reply to a user; cancels their unpublished replies" },
  { command: "optin", description: "Undo /optout for a user" },
] as const satisfies readonly { command: string; description: string }[];

/** What the watchlist feature needs. */
export type WatchlistFeatureDependencies = Pick<FeatureServices, "watchlist">;

interface KindText {
  readonly command: string;
  readonly usage: string;
  readonly noun: string;
  readonly title: string;
  readonly example: string;
  /** How a stored value is shown (already HTML-escaped). */
  show(value: string): string;
}

const KIND_TEXT: Record<WatchKind, KindText> = {
  target: {
    command: "targets",
    usage: "Usage: /targets add|remove|list @username",
    noun: "target",
    title: "Targets",
    example: "/targets add @username",
    show: (value) => `@${escapeHtml(value)}`,
  },
  search: {
    command: "searches",
    usage: "Usage: /searches add|remove|list query (remove also takes the list number)",
    noun: "search",
    title: "Searches",
    example: "/searches add your query",
    show: (value) => `<code>${escapeHtml(value)}</code>`,
  },
  topic: {
    command: "topics",
    usage: "Usage: /topics add|remove|list keyword or phrase",
    noun: "topic",
    title: "Topics",
    example: "/topics add keyword",
    show: (value) => `“${escapeHtml(value)}”`,
  },
};

const OPT_OUT_USAGE = "Usage: /optout @username";
const OPT_IN_USAGE = "Usage: /optin @username";

/** Splits "sub rest of the text" into the subcommand and its (possibly empty) argument. */
function splitSubcommand(match: string): { sub: string; argument: string } {
  const text = match.trim();
  const space = text.search(/\s/);
  if (space < 0) return { sub: text.toLowerCase(), argument: "" };
  return { sub: text.slice(0, space).toLowerCase(), argument: text.slice(space).trim() };
}

function usageLine(usage: string, reason?: string): string {
  return escapeHtml(reason === undefined ? usage : `${usage} — ${reason}`);
}

async function answer(ctx: BotContext, html: string): Promise<void> {
  await ctx.reply(html, { parse_mode: "HTML", link_preview_options: { is_disabled: true } });
}

async function listText(watchlist: Watchlist, kind: WatchKind): Promise<string> {
  const text = KIND_TEXT[kind];
  const items = await watchlist.list(kind);
  if (items.length === 0) return `No ${text.title.toLowerCase()} yet. Add one with ${escapeHtml(text.example)}`;
  const lines = items.map((item, index) => `${index + 1}. ${text.show(item.value)}`);
  return [`<b>${text.title}</b> (${items.length})`, ...lines].join("\n");
}

/** Handles `/targets|/searches|/topics <sub> [argument]` for one kind; returns the HTML reply. */
async function handleWatchCommand(
  watchlist: Watchlist,
  kind: WatchKind,
  match: string,
  by: number | null,
): Promise<string> {
  const text = KIND_TEXT[kind];
  const { sub, argument } = splitSubcommand(match);

  if (sub === "list") return argument === "" ? listText(watchlist, kind) : usageLine(text.usage);
  if (sub !== "add" && sub !== "remove") return usageLine(text.usage);
  if (argument === "") return usageLine(text.usage);

  if (sub === "remove" && kind === "search" && /^\d+$/.test(argument)) {
    const items = await watchlist.list(kind);
    const item = items[Number(argument) - 1];
    if (item === undefined) return `There is no search number ${escapeHtml(clip(argument, ECHO_MAX))}. Send /searches list.`;
    const removed = await watchlist.remove(kind, item.value);
    return removed ? `Removed search ${text.show(item.value)}.` : `Search ${text.show(item.value)} was already gone.`;
  }

  const normalised = normaliseWatchValue(kind, argument);
  if (!normalised.ok) return usageLine(text.usage, normalised.error);
  const shown = text.show(normalised.value);

  if (sub === "add") {
    const result = await watchlist.add(kind, normalised.value, by);
    if (!result.ok) return usageLine(text.usage, result.error);
    return result.added ? `Added ${text.noun} ${shown}.` : `${capitalise(text.noun)} ${shown} was already on the list.`;
  }
  const removed = await watchlist.remove(kind, normalised.value);
  return removed ? `Removed ${text.noun} ${shown}.` : `${capitalise(text.noun)} ${shown} is not on the list.`;
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** /targets, /searches, /topics, /optout and /optin: what discovery watches and whom it leaves alone. */
export function createWatchlistFeature(deps: WatchlistFeatureDependencies): Composer<BotContext> {
  const { watchlist } = deps;
  const feature = new Composer<BotContext>();

  for (const kind of ["target", "search", "topic"] as const) {
    feature.command(KIND_TEXT[kind].command, async (ctx) => {
      await answer(ctx, await handleWatchCommand(watchlist, kind, ctx.match, actorOf(ctx)));
    });
  }

  feature.command("optout", async (ctx) => {
    const username = normaliseUsername(ctx.match);
    if (!username.ok) {
      await answer(ctx, usageLine(OPT_OUT_USAGE, ctx.match.trim() === "" ? undefined : username.error));
      return;
    }
    const result = await watchlist.optOut(username.value, actorOf(ctx));
    const shown = `@${escapeHtml(username.value.toLowerCase())}`;
    if (!result.ok) {
      await answer(ctx, usageLine(OPT_OUT_USAGE, result.error));
      return;
    }
    const cancelled =
      result.cancelled === 0 ? "" : ` ${result.cancelled} unpublished ${result.cancelled === 1 ? "reply" : "replies"} to them cancelled.`;
    if (result.added) await answer(ctx, `${shown} opted out: no reply will be drafted or posted to their posts.${cancelled}`);
    else await answer(ctx, `${shown} had already opted out.${cancelled}`);
  });

  feature.command("optin", async (ctx) => {
    const username = normaliseUsername(ctx.match);
    if (!username.ok) {
      await answer(ctx, usageLine(OPT_IN_USAGE, ctx.match.trim() === "" ? undefined : username.error));
      return;
    }
    const shown = `@${escapeHtml(username.value.toLowerCase())}`;
    const removed = await watchlist.optIn(username.value);
    await answer(ctx, removed ? `${shown} opted back in.` : `${shown} had not opted out.`);
  });

  return feature;
}
