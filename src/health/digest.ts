import type { Database } from "../db/database.js";
import { escapeHtml } from "../text/html.js";
import { formatDay } from "../text/time.js";
import { countsBetween, localDayStart } from "../workflow/stats.js";
import type { HealthService } from "./health-service.js";

/**
 * The daily health digest: yesterday's numbers (local days in `timeZone`) and every component
 * that is not ok right now.
 */
export async function buildHealthDigest(deps: {
  db: Database;
  health: HealthService;
  timeZone: string;
  now?: Date;
}): Promise<string> {
  const now = deps.now ?? new Date();
  const from = localDayStart(now, deps.timeZone, -1);
  const to = localDayStart(now, deps.timeZone);
  const counts = await countsBetween(deps.db, from, to);
  const report = await deps.health.report();
  const day = formatDay(from, deps.timeZone);
  const problems = Object.entries(report.components).filter(([, c]) => c.state !== "ok");
  return [
    `📊 <b>Daily digest</b> — ${escapeHtml(day)} (${escapeHtml(deps.timeZone)})`,
    `discovered ${counts.discovered} · drafted ${counts.drafted} · approved ${counts.approved} · rejected ${counts.rejected} · published ${counts.published} · failed ${counts.failed}`,
    "",
    problems.length === 0
      ? `🟢 All components healthy.`
      : [`Health: <b>${report.status}</b>`, ...problems.map(([name, c]) => `⚠️ <b>${escapeHtml(name)}</b>: ${escapeHtml(c.detail)}`)].join("\n"),
  ].join("\n");
}
