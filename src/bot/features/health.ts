import { Composer } from "grammy";
import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import type { HealthReport, HealthService } from "../../health/health-service.js";
import type { ResilienceRegistry } from "../../resilience/registry.js";
import { decodeCallback, encodeCallback } from "../callback-data/index.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";

const STATUS_ICON = { healthy: "🟢", degraded: "🟡", error: "🔴" } as const;
const COMPONENT_ICON = { ok: "✅", degraded: "⚠️", down: "❌", not_configured: "⚪️" } as const;

function formatUptime(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  return days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes}m` : `${minutes}m ${seconds % 60}s`;
}

/** Renders a health report as an HTML message. */
export function formatHealthReport(report: HealthReport): string {
  const lines = [
    `${STATUS_ICON[report.status]} <b>Health: ${report.status}</b>`,
    "",
    ...Object.entries(report.components).map(
      ([name, component]) =>
        `${COMPONENT_ICON[component.state]} <b>${escapeHtml(name)}</b>: ${escapeHtml(component.detail)}`,
    ),
    "",
    `version ${escapeHtml(report.version)}, up ${formatUptime(report.uptimeSeconds)}, checked ${report.checkedAt.slice(11, 19)} UTC`,
  ];
  return lines.join("\n");
}

/** Refresh, and a reset button per breaker that is not closed. */
export function healthKeyboard(registry: ResilienceRegistry | undefined): InlineKeyboardMarkup {
  const resets: InlineKeyboardButton[][] = (registry?.all() ?? [])
    .filter((breaker) => breaker.state !== "closed")
    .map((breaker) => [
      { text: `Reset ${breaker.name}`, callback_data: encodeCallback({ kind: "breaker_reset", name: breaker.name }) },
    ]);
  return { inline_keyboard: [[{ text: "🔄 Refresh", callback_data: encodeCallback({ kind: "health_refresh" }) }], ...resets] };
}

/** /health: the bot's view of its components, refreshed in place; breaker resets live here too. */
export function createHealthFeature(health: HealthService, registry?: ResilienceRegistry): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const render = async () => {
    const report = await health.report();
    return { text: formatHealthReport(report), reply_markup: healthKeyboard(registry) };
  };

  feature.command("health", async (ctx) => {
    const { text, reply_markup } = await render();
    await ctx.reply(text, { parse_mode: "HTML", reply_markup });
  });

  feature.on("callback_query:data", async (ctx, next) => {
    const action = decodeCallback(ctx.callbackQuery.data);
    if (action?.kind !== "health_refresh" && action?.kind !== "breaker_reset") return next();
    if (action.kind === "breaker_reset") {
      const reset = registry?.reset(action.name) ?? false;
      ctx.logger.info({ breaker: action.name, by: ctx.from.id, reset }, "breaker reset from /health");
      await ctx.answerCallbackQuery({ text: reset ? `Breaker ${action.name} reset.` : `No breaker named ${action.name}.` });
    } else {
      await ctx.answerCallbackQuery({ text: "Refreshed." });
    }
    const { text, reply_markup } = await render();
    await ctx
      .editMessageText(text, { parse_mode: "HTML", reply_markup })
      .catch((error: unknown) => ctx.logger.debug({ err: error }, "health message unchanged"));
  });
  return feature;
}
