import { Composer } from "grammy";
import { COUNTED_KINDS, type WorkflowStats } from "../../workflow/stats.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";
import { formatDay } from "../../text/time.js";
import type { FeatureServices } from "./services.js";

/** The stats command, for /help and the Telegram command menu. */
export const STATS_COMMANDS = [
  { command: "stats", description: "Posts and replies today and in the last 7 days" },
] as const satisfies readonly { command: string; description: string }[];

/** What the stats feature needs. */
export type StatsFeatureDependencies = Pick<FeatureServices, "stats" | "now">;

/** Renders the counts as an aligned monospace table plus the periods in the bot's time zone. */
export function formatStats(stats: WorkflowStats, timeZone: string): string {
  const labelWidth = Math.max(...COUNTED_KINDS.map((kind) => kind.length));
  const columns = ["Today", "7 days"] as const;
  const width = (column: string): number =>
    Math.max(column.length, ...COUNTED_KINDS.map((kind) => String(stats.last7Days[kind]).length));
  const header = ["".padEnd(labelWidth), ...columns.map((column) => column.padStart(width(column)))].join("  ");
  const rows = COUNTED_KINDS.map((kind) =>
    [
      kind.padEnd(labelWidth),
      String(stats.today[kind]).padStart(width(columns[0])),
      String(stats.last7Days[kind]).padStart(width(columns[1])),
    ].join("  "),
  );
  const today = formatDay(stats.todayStart, timeZone);
  const since = formatDay(stats.last7DaysStart, timeZone);
  return [
    "📊 <b>Stats</b>",
    `<pre>${escapeHtml([header, ...rows].join("\n"))}</pre>`,
    escapeHtml(`Today = ${today}; 7 days = ${since} – ${today} (${timeZone})`),
  ].join("\n");
}

/** /stats: what discovery, drafting, approval and publishing did today and this week. */
export function createStatsFeature(deps: StatsFeatureDependencies): Composer<BotContext> {
  const now = deps.now ?? (() => new Date());
  const feature = new Composer<BotContext>();
  feature.command("stats", async (ctx) => {
    const timeZone = ctx.config.timeZone;
    const stats = await deps.stats.read(now(), timeZone);
    await ctx.reply(formatStats(stats, timeZone), { parse_mode: "HTML" });
  });
  return feature;
}
