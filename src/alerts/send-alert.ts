/**
 * One pending alert: fold it into a delivered repeat or fold its repeats into it, then try its
 * channels in order until one delivers it. A round in which every channel failed is retried
 * ALERT_RETRY_BASE_MS × 2^n later; after ALERT_MAX_RETRIES the alert is `dead`. A round in which
 * every channel only asked to wait (rate limits), or every breaker is open, is no failure: the
 * alert (and so every later one) waits.
 */
import { and, eq } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { alerts } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { exponentialBackoffMs } from "../resilience/backoff.js";
import { formatTimestamp } from "../text/time.js";
import type { ChannelAttempt } from "./channel-attempt.js";
import type { ChannelGate } from "./channel-gate.js";
import { ChannelError } from "./channels.js";
import type { Dedup } from "./dedup.js";
import { alertView, type AlertRecord } from "./records.js";
import type { Router, Routing } from "./routing.js";
import type { AlertChannel } from "./types.js";

/** Retries after the first failed round; the next failure makes the alert dead. */
export const ALERT_MAX_RETRIES = 5;
/** Delay before retry n (0-based): 60 s × 2^n. */
export const ALERT_RETRY_BASE_MS = 60_000;

/** Retry delay after `failedAttempts` failed rounds (1-based): 60 s, 120 s, 240 s, 480 s, 960 s. */
export function alertRetryDelayMs(failedAttempts: number): number {
  // Uncapped: ALERT_MAX_RETRIES, not the delay, bounds the rounds.
  return exponentialBackoffMs(failedAttempts, ALERT_RETRY_BASE_MS, Number.POSITIVE_INFINITY);
}

/** How handling one alert ended. */
export type AlertOutcome = "delivered" | "merged" | "wait" | "failed" | "dead";

/** Handles one pending, due alert; `merged` counts the repeats folded on the way. */
export type SendAlert = (row: AlertRecord, routing: Routing) => Promise<{ outcome: AlertOutcome; merged: number }>;

/** What {@link createSendAlert} needs. */
export interface SendAlertDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly dedup: Dedup;
  readonly router: Router;
  readonly gate: ChannelGate;
  readonly attempt: ChannelAttempt;
  /** The admins' zone, for the times in the delivery errors they read in /alerts. */
  readonly timeZone: string;
}

/** Builds the {@link SendAlert} of the delivery worker. */
export function createSendAlert(deps: SendAlertDeps): SendAlert {
  const { db, logger, now } = deps;
  const stillPending = (id: number) => and(eq(alerts.id, id), eq(alerts.status, "pending"));

  async function waitUntil(alert: AlertRecord, untilMs: number, reason: string): Promise<AlertOutcome> {
    await db
      .update(alerts)
      .set({ nextAttemptAt: new Date(untilMs), lastError: reason.slice(0, 1_000), updatedAt: now() })
      .where(stillPending(alert.id));
    return "wait";
  }

  async function markDelivered(alert: AlertRecord, channel: AlertChannel, messageId: number | undefined): Promise<AlertOutcome> {
    const delivered = await db
      .update(alerts)
      .set({
        status: "delivered",
        deliveredChannel: channel,
        deliveredAt: now(),
        telegramMessageId: messageId ?? null,
        repeatShown: alert.repeatCount,
        updatedAt: now(),
      })
      .where(stillPending(alert.id))
      .returning({ id: alerts.id });
    if (delivered.length === 0) logger.warn({ alert: alert.id }, "delivered alert was changed meanwhile");
    return "delivered";
  }

  async function markFailedRound(alert: AlertRecord, lastError: string): Promise<AlertOutcome> {
    const failedAttempts = alert.failedAttempts + 1;
    if (failedAttempts > ALERT_MAX_RETRIES) {
      await db.update(alerts).set({ status: "dead", failedAttempts, lastError, updatedAt: now() }).where(stillPending(alert.id));
      logger.error({ alert: alert.id, type: alert.type, lastError }, "alert undeliverable; moved to the alert dead letters");
      return "dead";
    }
    const nextAttemptAt = new Date(now().getTime() + alertRetryDelayMs(failedAttempts));
    await db.update(alerts).set({ failedAttempts, lastError, nextAttemptAt, updatedAt: now() }).where(stillPending(alert.id));
    return "failed";
  }

  async function tryChannels(alert: AlertRecord, candidates: readonly AlertChannel[], routing: Routing): Promise<AlertOutcome> {
    const errors: string[] = [];
    let onlyRateLimited = candidates.length > 0;
    let earliestRest = Number.POSITIVE_INFINITY;
    for (const channel of candidates) {
      const rest = deps.gate.restEnd(channel, now().getTime());
      if (rest !== undefined) {
        earliestRest = Math.min(earliestRest, rest);
        errors.push(`${channel}: resting until ${formatTimestamp(new Date(rest), deps.timeZone)}`);
        continue;
      }
      let messageId: number | undefined;
      try {
        messageId = await deps.attempt(channel, alert.id, "send", (driver) => driver.send(alertView(alert)), routing.health);
      } catch (error) {
        const failure = error instanceof ChannelError ? error : new ChannelError(String(error));
        errors.push(failure.message);
        if (failure.retryAfterMs !== undefined) {
          earliestRest = Math.min(earliestRest, now().getTime() + failure.retryAfterMs);
        } else {
          onlyRateLimited = false;
        }
        logger.warn({ alert: alert.id, channel, error: failure.message }, "alert channel failed");
        continue;
      }
      // Sent: a database failure from here on is not the channel's, and must never send it again elsewhere.
      return markDelivered(alert, channel, messageId);
    }
    if (onlyRateLimited && Number.isFinite(earliestRest)) return waitUntil(alert, earliestRest, errors.join("; "));
    const lastError = candidates.length === 0 ? "no configured and enabled channel for this alert" : errors.join("; ");
    return markFailedRound(alert, lastError.slice(0, 1_000));
  }

  return async (row, routing) => {
    // A repeat of an alert already delivered: fold it (and its pending siblings) into that one.
    const folded = await deps.dedup.foldIntoDelivered(row);
    if (folded > 0) return { outcome: "merged", merged: folded };
    const { head: alert, merged } = await deps.dedup.absorbRepeats(row);
    const choice = deps.router.choose(alert, alertView(alert).level, routing, now().getTime());
    if ("allOpenUntil" in choice) return { outcome: await waitUntil(alert, choice.allOpenUntil, "every channel's breaker is open"), merged };
    return { outcome: await tryChannels(alert, choice.channels, routing), merged };
  };
}
