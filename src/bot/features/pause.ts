import { Composer } from "grammy";
import type { PauseState } from "../../workflow/pause.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";
import { formatDateTime } from "../../text/time.js";
import { actorOf } from "../filters/actor.js";
import type { FeatureServices } from "./services.js";

/** The pause commands, for /help and the Telegram command menu. */
export const PAUSE_COMMANDS = [
  { command: "pause", description: "Pause the bot (kept across restarts)" },
  { command: "resume", description: "Resume after /pause" },
] as const satisfies readonly { command: string; description: string }[];

/** What the pause feature needs. */
export type PauseFeatureDependencies = Pick<FeatureServices, "pause">;

/** " by you since …" — who made the change behind `state` and when, as far as it is known. */
function describeChange(state: PauseState, ctx: BotContext): string {
  let who = "";
  if (state.by !== undefined) {
    who = state.by === actorOf(ctx) ? " by you" : ` by <a href="tg://user?id=${state.by}">user ${state.by}</a>`;
  } else if (state.at !== undefined) {
    who = " by an anonymous admin";
  }
  const when = state.at === undefined ? "" : ` since ${escapeHtml(formatDateTime(state.at, ctx.config.timeZone))}`;
  return `${who}${when}`;
}

/** /pause and /resume: the persisted pause switch. */
export function createPauseFeature(deps: PauseFeatureDependencies): Composer<BotContext> {
  const pauseSwitch = deps.pause;
  const feature = new Composer<BotContext>();

  feature.command("pause", async (ctx) => {
    const change = await pauseSwitch.pause(actorOf(ctx));
    const text = change.changed
      ? "⏸ <b>Paused.</b> Send /resume to continue."
      : `⏸ Already paused${describeChange(change.before, ctx)}. Send /resume to continue.`;
    await ctx.reply(text, { parse_mode: "HTML" });
  });

  feature.command("resume", async (ctx) => {
    const change = await pauseSwitch.resume(actorOf(ctx));
    const text = change.changed
      ? `▶️ <b>Resumed.</b> It had been paused${describeChange(change.before, ctx)}.`
      : "▶️ Not paused: the bot is already running.";
    await ctx.reply(text, { parse_mode: "HTML" });
  });

  return feature;
}
