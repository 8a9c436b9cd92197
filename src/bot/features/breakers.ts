import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { clip, ECHO_MAX } from "../../text/clip.js";
import { escapeHtml } from "../../text/html.js";
import { formatLocalClock } from "../../text/time.js";
import { actorOf } from "../filters/actor.js";
import type { BreakerAdmin, FeatureServices } from "./services.js";

/** Commands of this feature, for /help and the Telegram menu. */
export const BREAKER_COMMANDS = [
  { command: "breaker", description: "Circuit breakers: list, or reset <name>" },
] as const satisfies readonly { command: string; description: string }[];

const STATE_ICON = { closed: "🟢", half_open: "🟡", open: "🔴", isolated: "⛔️" } as const;

/** The one-line answer to /breaker with arguments it does not understand. */
export const BREAKER_USAGE = "Usage: /breaker [list] | /breaker reset <name> (e.g. x:main, ai:gpt-4o-mini, db)";

/** Renders the breakers as HTML lines, with the times in `timeZone`. */
export function renderBreakers(registry: BreakerAdmin, timeZone: string, now: Date = new Date()): string {
  const breakers = registry.all();
  if (breakers.length === 0) return "No circuit breakers yet (they appear on first use).";
  return [
    "<b>Circuit breakers</b>",
    ...breakers.map(
      (b) =>
        `${STATE_ICON[b.state]} <code>${escapeHtml(b.name)}</code> ${b.state.replace("_", "-")}` +
        (b.openSince ? ` since ${escapeHtml(formatLocalClock(b.openSince, timeZone, now))}` : ""),
    ),
  ].join("\n");
}

/** /breaker: list the breakers and reset one by name. */
export function createBreakerFeature(services: Pick<FeatureServices, "breakers">): Composer<BotContext> {
  const registry = services.breakers;
  const feature = new Composer<BotContext>();
  feature.command("breaker", async (ctx) => {
    const [action, name, ...rest] = ctx.match.trim().split(/\s+/).filter(Boolean);
    if (action === undefined || (action === "list" && name === undefined)) {
      await ctx.reply(renderBreakers(registry, ctx.config.timeZone), { parse_mode: "HTML" });
      return;
    }
    if (action !== "reset" || name === undefined || rest.length > 0) {
      await ctx.reply(BREAKER_USAGE);
      return;
    }
    if (!registry.reset(name)) {
      const known = registry.all().map((b) => b.name).join(", ") || "none yet";
      await ctx.reply(`No breaker named "${clip(name, ECHO_MAX)}". Known: ${known}.`);
      return;
    }
    ctx.logger.info({ breaker: name, by: actorOf(ctx) }, "circuit breaker reset by an admin");
    await ctx.reply(`✅ Breaker ${name} reset to closed.`);
  });
  return feature;
}
