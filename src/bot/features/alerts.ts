import { Composer } from "grammy";
import type { AlertRecord, AlertStatistics } from "../../alerts/index.js";
import type { FormatOptions } from "../../alerts/format.js";
import { clip } from "../../text/clip.js";
import { redactSecrets } from "../../logger.js";
import { ALERT_CHANNELS, ALERT_LEVELS } from "../../alerts/types.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";
import { formatTimestamp } from "../../text/time.js";
import type { FeatureServices } from "./services.js";

/** Commands of this feature, for /help and the Telegram menu. */
export const ALERTS_COMMANDS = [
  { command: "alerts", description: "Alert channels, rules, retry queue and latest alerts" },
] as const satisfies readonly { command: string; description: string }[];

const BREAKER_ICON = { closed: "🟢", half_open: "🟡", open: "🔴" } as const;
const STATUS_WORD = { pending: "pending", delivered: "delivered", merged: "merged", dead: "dead letter" } as const;
const STRATEGY_WORDS = { priority_order: "priority order", round_robin: "round robin", health_based: "health based" } as const;

function alertLine(row: AlertRecord, format: FormatOptions): string {
  const status = STATUS_WORD[row.status] ?? row.status;
  const via = row.status === "delivered" && row.deliveredChannel ? ` via ${row.deliveredChannel}` : "";
  const repeats = row.repeatCount > 0 ? ` ×${row.repeatCount + 1}` : "";
  const message = clip(redactSecrets(row.message, format.secrets).replace(/\s+/g, " "), 80);
  return (
    `#${row.id} <b>${escapeHtml(row.level.toUpperCase())}</b> <code>${escapeHtml(row.type)}</code>${repeats} · ` +
    `${escapeHtml(formatTimestamp(row.occurredAt, format.timeZone))} · ${status}${via}\n   ${escapeHtml(message)}`
  );
}

/** Renders the alerting overview: queue, channels with their statistics, rules and the latest alerts. */
export function renderAlertsOverview(stats: AlertStatistics, latest: readonly AlertRecord[], format: FormatOptions): string {
  const channels = ALERT_CHANNELS.map((name) => {
    const c = stats.channels[name];
    if (!c.configured) return `⚪️ ${name}: not configured`;
    const numbers =
      c.attempts === 0
        ? "no tries yet"
        : `${c.attempts} tries, ${c.successes} ok, ${c.failures} failed (${Math.round((c.successRate ?? 0) * 100)}%), ${c.meanLatencyMs ?? 0} ms mean`;
    const flags = [
      c.enabled ? undefined : "disabled",
      c.breaker === "closed" ? undefined : `breaker ${c.breaker.replace("_", "-")}`,
      c.restingUntil ? `rate-limited until ${formatTimestamp(new Date(c.restingUntil), format.timeZone)}` : undefined,
    ].filter(Boolean);
    return `${c.enabled ? BREAKER_ICON[c.breaker] : "⏸"} ${name}: ${numbers}${flags.length ? ` — ${escapeHtml(flags.join(", "))}` : ""}`;
  });
  const rules = [...ALERT_LEVELS].reverse().map((level) => {
    const rule = stats.rules[level];
    const order = [rule.primary, ...rule.fallbacks].join(" → ");
    return `${level}: ${order} (${STRATEGY_WORDS[rule.strategy]}${rule.custom ? ", set by an admin" : ""})`;
  });
  const q = stats.alerts;
  return [
    `<b>Alerts</b> · level ≥ ${stats.minLevel} · repeats folded for ${stats.dedupWindowSeconds} s`,
    `Queue: ${q.pending} pending (${q.retrying} retrying) · ${q.dead} dead letters · ${q.delivered} delivered` +
      (stats.bufferedInMemory > 0 ? ` · ${stats.bufferedInMemory} waiting for the database` : ""),
    "",
    "<b>Channels</b>",
    ...channels,
    "",
    "<b>Rules</b>",
    ...rules,
    "",
    "<b>Latest</b>",
    ...(latest.length > 0 ? latest.map((row) => alertLine(row, format)) : ["No alerts yet."]),
  ].join("\n");
}

/** /alerts over the alert admin service: the same data as the admin API's statistics, retry queue and dead letters. */
export function createAlertsFeature(services: Pick<FeatureServices, "alerts">): Composer<BotContext> {
  const admin = services.alerts;
  const feature = new Composer<BotContext>();
  feature.command("alerts", async (ctx) => {
    const [stats, latest] = await Promise.all([admin.statistics(), admin.latest(5)]);
    await ctx.reply(renderAlertsOverview(stats, latest, admin.format), {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
    });
  });
  return feature;
}
