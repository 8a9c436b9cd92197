import type { AlertAdmin } from "../../alerts/admin.js";
import type { AlertRecord } from "../../alerts/records.js";
import type { Database } from "../../db/database.js";
import type { HealthReport, HealthService } from "../../health/health-service.js";
import type { Leadership, ReplicaStatus } from "../../lifecycle/leader.js";
import type { BreakerView } from "../../resilience/registry.js";
import type { AccountLine, AccountsView } from "../../workflow/accounts-view.js";
import type { DeadLetters, DeadLetterSummary } from "../../workflow/dead-letters.js";
import { queueCounts } from "../../workflow/queue-counts.js";
import type { QueueStatus } from "../../workflow/queue-view.js";
import { hourlyCounts, type HourBucket } from "../../workflow/stats-hourly.js";

/** How many of the latest alerts the dashboard lists. */
const DASHBOARD_ALERTS = 10;

/** What the dashboard reads, each from the service the rest of the bot reads it from. */
export interface DashboardSources {
  readonly db: Database;
  /** The admins' zone (`BOT_TIMEZONE`): times on the page and the hours of the charts. */
  readonly timeZone: string;
  /** The service behind `/health`: overall status and components. */
  readonly health: Pick<HealthService, "report">;
  readonly breakers: { all(): BreakerView[] };
  readonly accounts: Pick<AccountsView, "list">;
  readonly deadLetters: Pick<DeadLetters, "summary">;
  readonly alerts: Pick<AlertAdmin, "latest" | "format">;
  /** Whether this replica polls Telegram now. */
  readonly polling: { isPolling(): boolean };
  /** This replica's role; absent when the process does not take part in an election. */
  readonly leadership?: Pick<Leadership, "status">;
  readonly now?: () => Date;
}

/** Everything one rendering of the dashboard shows, read at one moment. */
export interface DashboardSnapshot {
  readonly at: Date;
  readonly timeZone: string;
  readonly health: HealthReport;
  readonly polling: boolean;
  readonly replica: ReplicaStatus | undefined;
  readonly breakers: readonly BreakerView[];
  readonly accounts: readonly AccountLine[];
  readonly queues: Readonly<Record<QueueStatus, number>>;
  readonly deadLetters: DeadLetterSummary;
  /** The latest alerts, newest first. */
  readonly alerts: readonly AlertRecord[];
  /** Secrets masked in alert texts before they are shown. */
  readonly secrets: readonly string[];
  /** The last 24 local hours, oldest first. */
  readonly hours: readonly HourBucket[];
}

/** Reads a {@link DashboardSnapshot}. */
export async function readDashboard(sources: DashboardSources): Promise<DashboardSnapshot> {
  const at = (sources.now ?? (() => new Date()))();
  const [health, accounts, queues, deadLetters, alerts, hours] = await Promise.all([
    sources.health.report(),
    sources.accounts.list(),
    queueCounts(sources.db),
    sources.deadLetters.summary(),
    sources.alerts.latest(DASHBOARD_ALERTS),
    hourlyCounts(sources.db, at, sources.timeZone),
  ]);
  return {
    at,
    timeZone: sources.timeZone,
    health,
    polling: sources.polling.isPolling(),
    replica: sources.leadership?.status(),
    breakers: sources.breakers.all(),
    accounts,
    queues,
    deadLetters,
    alerts,
    secrets: sources.alerts.format.secrets,
    hours,
  };
}
