/**
 * What admins see and do (the /alerts command and the admin HTTP API use it): statistics per
 * channel and per status, the dead letters, the retry queue, the latest alerts; reprocessing a
 * dead alert; the rules per level and the enabled channels.
 */
import { and, asc, count, desc, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { alertDeliveries, alerts } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { ChannelGate } from "./channel-gate.js";
import { channelBreakerState, type ChannelBreakerState } from "./channel-health.js";
import type { DeliveryRunResult } from "./delivery.js";
import type { FormatOptions } from "./format.js";
import type { AlertRecord } from "./records.js";
import { ALERT_RETENTION_DAYS } from "./retention.js";
import type { Router, Routing } from "./routing.js";
import type { AlertState } from "./state.js";
import { ALERT_CHANNELS, type AlertChannel, type AlertLevel, type ChannelRule } from "./types.js";

/** One channel in the statistics. */
export interface ChannelStatistics {
  readonly configured: boolean;
  readonly enabled: boolean;
  readonly attempts: number;
  readonly successes: number;
  readonly failures: number;
  /** successes / attempts, 0…1; null before the first attempt. */
  readonly successRate: number | null;
  readonly meanLatencyMs: number | null;
  readonly breaker: ChannelBreakerState;
  /** Set while the channel waits out a rate limit. */
  readonly restingUntil: string | null;
}

/** Everything /alerts and `GET statistics` show. */
export interface AlertStatistics {
  readonly channels: Record<AlertChannel, ChannelStatistics>;
  readonly alerts: { readonly pending: number; readonly retrying: number; readonly delivered: number; readonly merged: number; readonly dead: number };
  readonly rules: Record<AlertLevel, ChannelRule & { readonly custom: boolean }>;
  readonly enabledChannels: AlertChannel[];
  readonly minLevel: AlertLevel;
  readonly dedupWindowSeconds: number;
  readonly bufferedInMemory: number;
  readonly retentionDays: number;
}

/** The answer to a reprocess request. */
export type ReprocessResult =
  | { readonly ok: true; readonly alert: AlertRecord }
  | { readonly ok: false; readonly status: 404 | 409; readonly error: string };

/** What the admin API and /alerts use. */
export interface AlertAdmin {
  statistics(): Promise<AlertStatistics>;
  /** Dead alerts, newest first. */
  deadLetters(limit?: number): Promise<AlertRecord[]>;
  /** Pending alerts in delivery order (those with failed attempts are being retried). */
  retryQueue(limit?: number): Promise<AlertRecord[]>;
  /** The latest alerts that are not folded repeats, newest first. */
  latest(limit?: number): Promise<AlertRecord[]>;
  /** Puts a dead alert back in the queue (through `channels` when given) and delivers; the alert as it stands afterwards. */
  reprocess(id: number, channels?: readonly AlertChannel[]): Promise<ReprocessResult>;
  setRule(level: AlertLevel, rule: ChannelRule): Promise<void>;
  /** Back to the default rule; false when the level had none set. */
  resetRule(level: AlertLevel): Promise<boolean>;
  setEnabledChannels(channels: readonly AlertChannel[]): Promise<void>;
  /** The channels whose settings are present (telegram always). */
  readonly configuredChannels: readonly AlertChannel[];
  /** The time zone and secrets alerts are rendered with. */
  readonly format: FormatOptions;
}

/** What {@link createAlertAdmin} needs. */
export interface AlertAdminDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly state: AlertState;
  readonly router: Router;
  readonly gate: ChannelGate;
  readonly configured: readonly AlertChannel[];
  readonly format: FormatOptions;
  readonly minLevel: AlertLevel;
  readonly dedupWindowSeconds: number;
  readonly buffered: () => number;
  readonly deliverDue: () => Promise<DeliveryRunResult>;
}

/** Builds the {@link AlertAdmin}. */
export function createAlertAdmin(deps: AlertAdminDeps): AlertAdmin {
  const { db, logger, now, state, configured } = deps;

  async function channelStatistics(): Promise<{ channels: Record<AlertChannel, ChannelStatistics>; routing: Routing }> {
    const routing = await deps.router.load();
    const at = now().getTime();
    const rows = await db
      .select({
        channel: alertDeliveries.channel,
        attempts: sql<number>`count(*)::int`,
        successes: sql<number>`(count(*) filter (where ${alertDeliveries.ok}))::int`,
        meanLatency: sql<number | null>`avg(${alertDeliveries.latencyMs})::float8`,
      })
      .from(alertDeliveries)
      .groupBy(alertDeliveries.channel);
    const channels = Object.fromEntries(
      ALERT_CHANNELS.map((channel) => {
        const row = rows.find((r) => r.channel === channel);
        const attempts = Number(row?.attempts ?? 0);
        const successes = Number(row?.successes ?? 0);
        const rest = deps.gate.restEnd(channel, at);
        const stats: ChannelStatistics = {
          configured: configured.includes(channel),
          enabled: routing.enabled.includes(channel),
          attempts,
          successes,
          failures: attempts - successes,
          successRate: attempts > 0 ? successes / attempts : null,
          meanLatencyMs: row?.meanLatency === null || row?.meanLatency === undefined ? null : Math.round(Number(row.meanLatency)),
          breaker: channelBreakerState(routing.health.get(channel), at),
          restingUntil: rest === undefined ? null : new Date(rest).toISOString(),
        };
        return [channel, stats];
      }),
    ) as Record<AlertChannel, ChannelStatistics>;
    return { channels, routing };
  }

  async function statistics(): Promise<AlertStatistics> {
    const { channels, routing } = await channelStatistics();
    const byStatus = await db.select({ status: alerts.status, n: count() }).from(alerts).groupBy(alerts.status);
    const [retrying] = await db
      .select({ n: count() })
      .from(alerts)
      .where(and(eq(alerts.status, "pending"), gt(alerts.failedAttempts, 0)));
    const n = (status: string) => Number(byStatus.find((row) => row.status === status)?.n ?? 0);
    return {
      channels,
      alerts: { pending: n("pending"), retrying: Number(retrying?.n ?? 0), delivered: n("delivered"), merged: n("merged"), dead: n("dead") },
      rules: routing.rules,
      enabledChannels: [...routing.enabled],
      minLevel: deps.minLevel,
      dedupWindowSeconds: deps.dedupWindowSeconds,
      bufferedInMemory: deps.buffered(),
      retentionDays: ALERT_RETENTION_DAYS,
    };
  }

  async function reprocess(id: number, channels?: readonly AlertChannel[]): Promise<ReprocessResult> {
    const [row] = await db.select().from(alerts).where(eq(alerts.id, id));
    if (!row) return { ok: false, status: 404, error: `no alert ${id}` };
    const requeued = await db
      .update(alerts)
      .set({
        status: "pending",
        failedAttempts: 0,
        nextAttemptAt: now(),
        forcedChannels: channels && channels.length > 0 ? [...channels] : null,
        updatedAt: now(),
      })
      .where(and(eq(alerts.id, id), eq(alerts.status, "dead")))
      .returning();
    if (requeued.length === 0) return { ok: false, status: 409, error: `alert ${id} is ${row.status}, not a dead letter` };
    logger.info({ alert: id, channels }, "dead alert reprocessed by an admin");
    await deps.deliverDue(); // may have joined a run that started before the requeue:
    let [after] = await db.select().from(alerts).where(eq(alerts.id, id));
    if (after?.status === "pending") {
      await deps.deliverDue();
      [after] = await db.select().from(alerts).where(eq(alerts.id, id));
    }
    return { ok: true, alert: after ?? row };
  }

  return {
    statistics,
    deadLetters: (limit = 100) => db.select().from(alerts).where(eq(alerts.status, "dead")).orderBy(desc(alerts.id)).limit(limit),
    retryQueue: (limit = 100) => db.select().from(alerts).where(eq(alerts.status, "pending")).orderBy(asc(alerts.id)).limit(limit),
    latest: (limit = 5) => db.select().from(alerts).where(sql`${alerts.status} <> 'merged'`).orderBy(desc(alerts.id)).limit(limit),
    reprocess,
    setRule: (level, rule) => state.setRule(level, rule),
    resetRule: (level) => state.deleteRule(level),
    setEnabledChannels: (channels) => state.setEnabledChannels(channels),
    configuredChannels: configured,
    format: deps.format,
  };
}
