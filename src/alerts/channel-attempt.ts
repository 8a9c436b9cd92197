/**
 * One try of one channel: bounded by a deadline, written to `alert_deliveries` (the statistics and
 * channel health read it), reported to the metrics hook, and remembered by the health map and gate.
 */
import type { Database } from "../db/database.js";
import { alertDeliveries } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { isDeadlineExceeded, withDeadline } from "../resilience/deadline.js";
import { noteTry, type HealthMap } from "./channel-health.js";
import type { ChannelGate } from "./channel-gate.js";
import { CHANNEL_TIMEOUT_MS, ChannelError, type ChannelDriver } from "./channels.js";
import type { AlertChannel, DeliveryOutcome } from "./types.js";

/** The webhook and SMTP requests time out on their own first; this catches a port that never answers. */
const TRY_DEADLINE_MS = CHANNEL_TIMEOUT_MS + 5_000;

/** What {@link createChannelAttempt} needs. */
export interface ChannelAttemptDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly drivers: Partial<Record<AlertChannel, ChannelDriver>>;
  readonly gate: ChannelGate;
  readonly now: () => Date;
  readonly onDelivery?: (channel: AlertChannel, outcome: DeliveryOutcome, latencyMs: number) => void;
}

/** Tries one channel, recording the try; resolves with the Telegram message id or throws a ChannelError. */
export type ChannelAttempt = (
  channel: AlertChannel,
  alertId: number,
  kind: "send" | "update",
  work: (driver: ChannelDriver) => Promise<number | undefined>,
  health: HealthMap,
) => Promise<number | undefined>;

function asChannelError(channel: AlertChannel, caught: unknown): ChannelError {
  if (caught instanceof ChannelError) return caught;
  if (isDeadlineExceeded(caught)) return new ChannelError(`${channel}: no answer within ${TRY_DEADLINE_MS} ms`);
  return new ChannelError(caught instanceof Error ? caught.message : String(caught));
}

function outcomeOf(error: ChannelError | undefined): DeliveryOutcome {
  if (!error) return "success";
  return error.retryAfterMs !== undefined ? "rate_limited" : "failure";
}

/** Builds the {@link ChannelAttempt} of the delivery worker. */
export function createChannelAttempt(deps: ChannelAttemptDeps): ChannelAttempt {
  const { db, logger, gate, now } = deps;
  return async (channel, alertId, kind, work, health) => {
    const driver = deps.drivers[channel];
    if (!driver) throw new ChannelError(`channel ${channel} is not configured`);
    const started = performance.now();
    gate.noteCall(channel, now().getTime());
    let error: ChannelError | undefined;
    let messageId: number | undefined;
    try {
      messageId = await withDeadline(TRY_DEADLINE_MS, () => work(driver));
    } catch (caught) {
      error = asChannelError(channel, caught);
    }
    const latencyMs = Math.round(performance.now() - started);
    const at = now();
    noteTry(health, channel, !error, at.getTime());
    if (error?.retryAfterMs !== undefined) gate.rest(channel, at.getTime() + error.retryAfterMs);
    await db
      .insert(alertDeliveries)
      .values({ alertId, channel, kind, ok: !error, latencyMs, error: error?.message ?? null, at })
      .catch((insertError: unknown) => logger.warn({ err: insertError }, "could not record an alert delivery"));
    try {
      deps.onDelivery?.(channel, outcomeOf(error), latencyMs);
    } catch (hookError) {
      logger.warn({ err: hookError }, "alert delivery hook failed");
    }
    if (error) throw error;
    return messageId;
  };
}
