import { Composer } from "grammy";
import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import type { HealthReport } from "../../health/health-service.js";
import { healthCallbacks } from "../callback-data/health.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";
import { formatLocalClock, formatUptime } from "../../text/time.js";
import { actorOf } from "../filters/actor.js";
import type { BreakerAdmin, FeatureServices } from "./services.js";

const STATUS_ICON = { healthy: "🟢", degraded: "🟡", error: "🔴" } as const;
const COMPONENT_ICON = { ok: "✅", degraded: "⚠️", down: "❌", not_configured: "⚪️" } as const;

/** Renders a health report as an HTML message, with the check time in `timeZone`. */
export function formatHealthReport(report: HealthReport, timeZone: string): string {
  const checkedAt = new Date(report.checkedAt);
  const lines = [
    `${STATUS_ICON[report.status]} <b>Health: ${report.status}</b>`,
    "",
    ...Object.entries(report.components).map(
      ([name, component]) =>
        `${COMPONENT_ICON[component.state]} <b>${escapeHtml(name)}</b>: ${escapeHtml(component.detail)}`,
    ),
    "",
    `version ${escapeHtml(report.version)}, up ${formatUptime(report.uptimeSeconds)}, checked ${escapeHtml(formatLocalClock(checkedAt, timeZone, checkedAt))}`,
  ];
  return lines.join("\n");
}

/** Refresh, and a reset button per breaker that is not closed. */
export function healthKeyboard(breakers: BreakerAdmin): InlineKeyboardMarkup {
  const resets: InlineKeyboardButton[][] = breakers
    .all()
    .filter((breaker) => breaker.state !== "closed")
    .map((breaker) => [
      { text: `Reset ${breaker.name}`, callback_data: healthCallbacks.breakerReset.pack({ name: breaker.name }) },
    ]);
  return { inline_keyboard: [[{ text: "🔄 Refresh", callback_data: healthCallbacks.refresh.pack({}) }], ...resets] };
}

/** /health: the bot's view of its components, refreshed in place; breaker resets live here too. */
export function createHealthFeature(services: Pick<FeatureServices, "health" | "breakers">): Composer<BotContext> {
  const { health, breakers } = services;
  const feature = new Composer<BotContext>();
  const render = async (timeZone: string) => {
    const report = await health.report();
    return { text: formatHealthReport(report, timeZone), reply_markup: healthKeyboard(breakers) };
  };
  const redraw = async (ctx: BotContext) => {
    const { text, reply_markup } = await render(ctx.config.timeZone);
    await ctx
      .editMessageText(text, { parse_mode: "HTML", reply_markup })
      .catch((error: unknown) => ctx.logger.debug({ err: error }, "health message unchanged"));
  };

  feature.command("health", async (ctx) => {
    const { text, reply_markup } = await render(ctx.config.timeZone);
    await ctx.reply(text, { parse_mode: "HTML", reply_markup });
  });

  feature.callbackQuery(healthCallbacks.refresh.filter, async (ctx) => {
    await ctx.answerCallbackQuery({ text: "Refreshed." });
    await redraw(ctx);
  });

  feature.callbackQuery(healthCallbacks.breakerReset.filter, async (ctx) => {
    const { name } = healthCallbacks.breakerReset.unpack(ctx.callbackQuery.data);
    const reset = breakers.reset(name);
    ctx.logger.info({ breaker: name, by: actorOf(ctx), reset }, "breaker reset from /health");
    await ctx.answerCallbackQuery({ text: reset ? `Breaker ${name} reset.` : `No breaker named ${name}.` });
    await redraw(ctx);
  });
  return feature;
}
