/**
 * Channel health: a breaker per channel that opens after CHANNEL_BREAKER_THRESHOLD failed tries in a
 * row and lets a probe through CHANNEL_BREAKER_COOLDOWN_MS after the last one (`health_based` skips
 * open channels; /alerts and the statistics show the state).
 *
 * Deliberately not a cockatiel breaker from src/resilience/: the state is read back from the latest
 * rows of `alert_deliveries`, which every channel try writes anyway, so it survives a restart and
 * every replica sees the same health without a second store to keep in step with the deliveries.
 */
import { desc, eq } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { alertDeliveries } from "../db/schema.js";
import type { AlertChannel } from "./types.js";

/** Consecutive failed tries that open a channel's breaker. */
export const CHANNEL_BREAKER_THRESHOLD = 3;
/** How long an open channel breaker stays open after its last failure. */
export const CHANNEL_BREAKER_COOLDOWN_MS = 60_000;

/** A channel's recent record. */
export interface ChannelHealth {
  consecutiveFailures: number;
  /** When the latest try failed (ms); 0 when it succeeded. */
  lastFailureAt: number;
}

/** The health of each channel, by channel. */
export type HealthMap = Map<AlertChannel, ChannelHealth>;

/** A channel breaker's state. */
export type ChannelBreakerState = "closed" | "open" | "half_open";

/** Reads each channel's health from its latest tries. */
export async function loadChannelHealth(db: Database, channels: readonly AlertChannel[]): Promise<HealthMap> {
  const health: HealthMap = new Map();
  for (const channel of channels) {
    const rows = await db
      .select({ ok: alertDeliveries.ok, at: alertDeliveries.at })
      .from(alertDeliveries)
      .where(eq(alertDeliveries.channel, channel))
      .orderBy(desc(alertDeliveries.id))
      .limit(CHANNEL_BREAKER_THRESHOLD);
    const leading = rows.findIndex((row) => row.ok);
    health.set(channel, {
      consecutiveFailures: leading === -1 ? rows.length : leading,
      lastFailureAt: rows[0] && !rows[0].ok ? rows[0].at.getTime() : 0,
    });
  }
  return health;
}

/** The breaker state of a channel with `health` at `at` (ms). */
export function channelBreakerState(health: ChannelHealth | undefined, at: number): ChannelBreakerState {
  if (!health || health.consecutiveFailures < CHANNEL_BREAKER_THRESHOLD) return "closed";
  return at - health.lastFailureAt < CHANNEL_BREAKER_COOLDOWN_MS ? "open" : "half_open";
}

/** When the first of `channels` lets a probe through again (ms). */
export function earliestReopen(health: HealthMap, channels: readonly AlertChannel[]): number {
  return Math.min(...channels.map((channel) => (health.get(channel)?.lastFailureAt ?? 0) + CHANNEL_BREAKER_COOLDOWN_MS));
}

/** Updates `health` in place after one try of `channel` (the row itself is written by the caller). */
export function noteTry(health: HealthMap, channel: AlertChannel, ok: boolean, at: number): void {
  const entry = health.get(channel) ?? { consecutiveFailures: 0, lastFailureAt: 0 };
  if (ok) {
    entry.consecutiveFailures = 0;
  } else {
    entry.consecutiveFailures += 1;
    entry.lastFailureAt = at;
  }
  health.set(channel, entry);
}
