import { Composer } from "grammy";
import type { HealthReport, HealthService } from "../../health/health-service.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";

const STATUS_ICON = { healthy: "🟢", degraded: "🟡", error: "🔴" } as const;
const COMPONENT_ICON = { ok: "✅", down: "❌", not_configured: "⚪️" } as const;

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
    `version ${escapeHtml(report.version)}, up ${report.uptimeSeconds} s`,
  ];
  return lines.join("\n");
}

/** /health: the bot's own view of its components. */
export function createHealthFeature(health: HealthService): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command("health", async (ctx) => {
    const report = await health.report();
    await ctx.reply(formatHealthReport(report), { parse_mode: "HTML" });
  });
  return feature;
}
