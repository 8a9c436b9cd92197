import { Composer } from "grammy";
import { COUNTED_KINDS, type WorkflowStats } from "../../workflow/stats.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";
import { formatDay } from "../../text/time.js";
import type { FeatureServices } from "./services.js";

/** The stats command, for /help and the Telegram command menu. */
export const STATS_COMMANDS = [
  { command: "stats", description: "Posts and replies today and in the last 7 days, skips by reason" },
] as const satisfies readonly { command: string; description: string }[];

/** What the stats feature needs. */
export type StatsFeatureDependencies = Pick<FeatureServices, "stats" | "now">;

/** An aligned monospace table of label → (today, 7 days), headed by `title`. */
function table(title: string, rows: readonly { label: string; today: number; last7Days: number }[]): string {
  const labelWidth = Math.max(title.length, ...rows.map((row) => row.label.length));
  const columns = ["Today", "7 days"] as const;
  const width = (column: string): number => Math.max(column.length, ...rows.map((row) => String(row.last7Days).length));
  const header = [title.padEnd(labelWidth), ...columns.map((column) => column.padStart(width(column)))].join("  ");
  const lines = rows.map((row) =>
    [row.label.padEnd(labelWidth), String(row.today).padStart(width(columns[0])), String(row.last7Days).padStart(width(columns[1]))].join("  "),
  );
  return `<pre>${escapeHtml([header, ...lines].join("\n"))}</pre>`;
}

/** Renders the counts, then skipped posts by reason (when any), as aligned tables plus the periods in the bot's time zone. */
export function formatStats(stats: WorkflowStats, timeZone: string): string {
  const counts = COUNTED_KINDS.map((kind) => ({ label: kind, today: stats.today[kind], last7Days: stats.last7Days[kind] }));
  const skipped = stats.skipped.map((skip) => ({ label: skip.reason, ...skip }));
  const today = formatDay(stats.todayStart, timeZone);
  const since = formatDay(stats.last7DaysStart, timeZone);
  return [
    "📊 <b>Stats</b>",
    table("", counts),
    ...(skipped.length > 0 ? ["Skipped posts by reason:", table("skipped", skipped)] : []),
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
