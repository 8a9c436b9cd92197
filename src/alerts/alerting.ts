/**
 * Alerting: typed alerts raised into a durable outbox and delivered, in order, by a worker.
 *
 * - `raise()` only stores (see outbox.ts). Alerts below `MIN_ALERT_LEVEL` are not stored.
 * - `deliverDue()` (run on ALERT_CRON) holds a lease in `alert_state` so one worker at a time
 *   delivers, then walks pending alerts in id order. The first alert that cannot go out yet stops
 *   the run, so alerts never overtake each other; each channel's rate limit (429 retry_after) is
 *   waited out without counting as a failure.
 * - Deduplication: an alert of the same type and key within ALERT_DEDUP_WINDOW_SECONDS of a
 *   delivered one is folded into it (`merged`): the delivered Telegram message is edited to
 *   "×N more" (a new message when it cannot be edited); webhook and e-mail get one "×N more"
 *   follow-up once the window is over.
 * - Channels: a rule per level (primary, fallbacks, strategy) over the configured and enabled
 *   channels. A round in which every channel failed is retried 60 s × 2^n later (n = 0…4); after
 *   the 5th retry fails the alert is `dead` (the alert dead-letter list), reprocessable by an admin.
 * - Every channel try is a row of `alert_deliveries`: statistics and channel health (3 failures in a
 *   row open a channel's breaker for 60 s, used by `health_based`) survive restarts.
 */
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Composer } from "grammy";
import type { BotContext } from "../bot/context.js";
import { createAlertsFeature } from "../bot/features/alerts.js";
import { secretsOf, type Config } from "../config.js";
import type { Database } from "../db/database.js";
import { alertDeliveries, alerts } from "../db/schema.js";
import type { HttpServer } from "../http/server.js";
import type { Logger } from "../logger.js";
import { registerAlertRoutes } from "./api.js";
import {
  CHANNEL_TIMEOUT_MS,
  ChannelError,
  emailChannel,
  telegramChannel,
  webhookChannel,
  type ChannelDriver,
  type TelegramAlertSender,
} from "./channels.js";
import { FailureCounter } from "./failure-counter.js";
import type { AlertView, FormatOptions } from "./format.js";
import { createOutbox, toAlertRow } from "./outbox.js";
import { channelsToTry, defaultRule } from "./rules.js";
import { createAlertState } from "./state.js";
import {
  ALERT_CHANNELS,
  ALERT_LEVELS,
  isAlertChannel,
  isAtLeast,
  type AlertChannel,
  type AlertInput,
  type AlertLevel,
  type AlertType,
  type ChannelRule,
  type DeliveryOutcome,
} from "./types.js";

/** Retries after the first failed round; the next failure makes the alert dead. */
export const ALERT_MAX_RETRIES = 5;
/** Delay before retry n (0-based): 60 s × 2^n. */
export const ALERT_RETRY_BASE_MS = 60_000;
/** Consecutive failed tries that open a channel's breaker, and how long it stays open. */
export const CHANNEL_BREAKER_THRESHOLD = 3;
export const CHANNEL_BREAKER_COOLDOWN_MS = 60_000;
/** Telegram sends and edits per minute: under the ~20/min a group allows. */
export const TELEGRAM_PER_MINUTE = 18;
/** Alerts handled per run at most (the rest wait for the next run). */
const MAX_ALERTS_PER_RUN = 50;
/** Repeats shown per run at most. */
const MAX_UPDATES_PER_RUN = 20;
/** A Telegram message is edited at most this often. */
const EDIT_MIN_GAP_MS = 15_000;
/** Past this age, repeats that could not be shown are given up on. */
const REPEAT_GIVE_UP_MS = 24 * 3_600_000;
const LEASE_MS = 120_000;
/** Delivered and merged alerts and delivery rows are kept this long (and the statistics cover it). */
export const ALERT_RETENTION_DAYS = 30;
const PRUNE_EVERY_MS = 3_600_000;

/** Alert types counted towards `multiple_failures`. */
const COUNTED_FAILURES: readonly AlertType[] = ["publication_failed", "tweet_processing_failed", "dlq_exhausted"];

/** A stored alert. */
export type AlertRecord = typeof alerts.$inferSelect;

/** What one delivery run did. */
export interface DeliveryRunResult {
  delivered: number;
  merged: number;
  /** Rounds in which every channel failed (the alert is retried later). */
  failed: number;
  dead: number;
  /** Edits or follow-ups showing repeats. */
  updated: number;
  /** True when a pending alert had to wait (not due, rate limit, failure): later ones waited too. */
  blocked: boolean;
  /** True when another worker held the lease and this run did nothing. */
  skipped: boolean;
}

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
  readonly breaker: "closed" | "open" | "half_open";
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

/** The alerting service {@link createAlerting} returns. */
export interface Alerting extends AlertAdmin {
  /** Stores an alert for delivery; never throws (the promise never rejects), never waits on a channel. */
  raise(input: AlertInput): Promise<void>;
  /** Counts one failure of `kind`; N (5) within the window (10 min) raise one `multiple_failures` alert. */
  recordFailure(kind: string, message?: string): Promise<void>;
  /** Delivers due alerts in order; one run at a time in this process (a second call joins it). */
  deliverDue(): Promise<DeliveryRunResult>;
  /** Registers the admin API under /api/v1/fallback/ (nothing when ADMIN_API_TOKEN is unset). */
  registerRoutes(http: HttpServer): void;
  /** The /alerts command (built on first access, then the same composer). */
  readonly feature: Composer<BotContext>;
  /** Alerts waiting in memory for the database. */
  readonly buffered: number;
}

/** What {@link createAlerting} needs. */
export interface AlertingDeps {
  readonly db: Database;
  readonly config: Config;
  readonly logger: Logger;
  /** The admin chat (see `createTelegramAlertSender`). */
  readonly telegram: TelegramAlertSender;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** Called after every channel try (for metrics: `metrics.alertDelivery`). */
  readonly onDelivery?: (channel: AlertChannel, outcome: DeliveryOutcome, latencyMs: number) => void;
  /** Overrides the SMTP transport built from SMTP_URL (tests). */
  readonly mailTransport?: Parameters<typeof emailChannel>[2];
  /** Overrides {@link TELEGRAM_PER_MINUTE}. */
  readonly telegramPerMinute?: number;
}

interface ChannelHealth {
  consecutiveFailures: number;
  lastFailureAt: number;
}

function view(row: AlertRecord): AlertView {
  return {
    id: row.id,
    type: row.type,
    level: (ALERT_LEVELS as readonly string[]).includes(row.level) ? (row.level as AlertLevel) : "error",
    key: row.dedupKey,
    message: row.message,
    details: row.details,
    occurredAt: row.occurredAt,
    repeatCount: row.repeatCount,
    lastRepeatAt: row.lastRepeatAt,
  };
}

/** Retry delay after `failedAttempts` failed rounds (1-based): 60 s, 120 s, 240 s, 480 s, 960 s. */
export function alertRetryDelayMs(failedAttempts: number): number {
  return ALERT_RETRY_BASE_MS * 2 ** Math.max(0, failedAttempts - 1);
}

/** Builds alerting; starts nothing (the lead runs `deliverDue` on ALERT_CRON). */
export function createAlerting(deps: AlertingDeps): Alerting {
  const { db, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const windowMs = config.alerts.dedupWindowSeconds * 1000;
  // A Slack or Discord webhook URL is itself a credential: mask it like the configured secrets.
  const secrets = [...secretsOf(config), ...(config.alerts.webhookUrl ? [config.alerts.webhookUrl] : [])];
  const format: FormatOptions = { timeZone: config.timeZone, secrets };
  const state = createAlertState(db);
  const outbox = createOutbox({ db, logger, now });
  const failures = new FailureCounter();
  const owner = randomUUID();
  const telegramPerMinute = deps.telegramPerMinute ?? TELEGRAM_PER_MINUTE;

  const drivers: Partial<Record<AlertChannel, ChannelDriver>> = { telegram: telegramChannel(deps.telegram, format) };
  if (config.alerts.webhookUrl) drivers.webhook = webhookChannel(config.alerts.webhookUrl, format, deps.fetch ?? fetch);
  if (config.alerts.email) drivers.email = emailChannel(config.alerts.email, format, deps.mailTransport);
  const configured = ALERT_CHANNELS.filter((channel) => drivers[channel] !== undefined);

  const restingUntil = new Map<AlertChannel, number>();
  const telegramCalls: number[] = [];
  const lastEditAt = new Map<number, number>();
  const rotation = new Map<AlertLevel, number>();
  let running: Promise<DeliveryRunResult> | undefined;
  let lastPruneAt = 0;

  // ---- raising ---------------------------------------------------------------------------------

  /** Counts one failure of `kind`; at N within the window, raises one `multiple_failures` alert. */
  function recordFailure(kind: string, message?: string): Promise<void> {
    const at = now();
    const tripped = failures.record(kind, at);
    if (tripped === undefined) return Promise.resolve();
    return raise({
      type: "multiple_failures",
      level: "error",
      key: kind,
      message: `${tripped} ${kind} failures within ${Math.round(failures.windowMs / 60_000)} minutes.`,
      details: { kind, count: tripped, window_minutes: Math.round(failures.windowMs / 60_000), last: message },
    });
  }

  /** Stores an alert for delivery; never throws, never waits on a channel. */
  function raise(input: AlertInput): Promise<void> {
    try {
      // Stored first, so the alert reads before the multiple_failures it may trip.
      const stored = isAtLeast(input.level, config.alerts.minLevel)
        ? outbox.enqueue([toAlertRow(input, now(), format.secrets)])
        : Promise.resolve();
      const counted = COUNTED_FAILURES.includes(input.type) ? recordFailure(input.type, input.message) : Promise.resolve();
      return Promise.all([stored, counted]).then(() => undefined);
    } catch (error) {
      logger.error({ err: error, type: input.type }, "could not raise an alert");
      return Promise.resolve();
    }
  }

  // ---- channels --------------------------------------------------------------------------------

  function restEnd(channel: AlertChannel, at: number): number | undefined {
    let until = restingUntil.get(channel);
    if (until !== undefined && until <= at) {
      restingUntil.delete(channel);
      until = undefined;
    }
    if (channel === "telegram") {
      while (telegramCalls.length > 0 && telegramCalls[0]! <= at - 60_000) telegramCalls.shift();
      if (telegramCalls.length >= telegramPerMinute) until = Math.max(until ?? 0, telegramCalls[0]! + 60_000);
    }
    return until;
  }

  async function loadHealth(): Promise<Map<AlertChannel, ChannelHealth>> {
    const health = new Map<AlertChannel, ChannelHealth>();
    for (const channel of configured) {
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

  function breakerState(health: ChannelHealth | undefined, at: number): ChannelStatistics["breaker"] {
    if (!health || health.consecutiveFailures < CHANNEL_BREAKER_THRESHOLD) return "closed";
    return at - health.lastFailureAt < CHANNEL_BREAKER_COOLDOWN_MS ? "open" : "half_open";
  }

  /** Tries one channel, recording the try; resolves with the Telegram message id or throws ChannelError. */
  async function attempt(
    channel: AlertChannel,
    alertId: number,
    kind: "send" | "update",
    work: (driver: ChannelDriver) => Promise<number | undefined>,
    health: Map<AlertChannel, ChannelHealth>,
  ): Promise<number | undefined> {
    const driver = drivers[channel];
    if (!driver) throw new ChannelError(`channel ${channel} is not configured`);
    const started = performance.now();
    if (channel === "telegram") telegramCalls.push(now().getTime());
    let error: ChannelError | undefined;
    let messageId: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      // The port may have no timeout of its own (grammY's is 500 s): the worker must not hang on it.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ChannelError(`${channel}: no answer within ${CHANNEL_TIMEOUT_MS + 5_000} ms`)), CHANNEL_TIMEOUT_MS + 5_000);
      });
      messageId = await Promise.race([work(driver), deadline]);
    } catch (caught) {
      error = caught instanceof ChannelError ? caught : new ChannelError(caught instanceof Error ? caught.message : String(caught));
    }
    clearTimeout(timer);
    const latencyMs = Math.round(performance.now() - started);
    const at = now();
    const entry = health.get(channel) ?? { consecutiveFailures: 0, lastFailureAt: 0 };
    if (error) {
      entry.consecutiveFailures += 1;
      entry.lastFailureAt = at.getTime();
      if (error.retryAfterMs !== undefined) restingUntil.set(channel, at.getTime() + error.retryAfterMs);
    } else {
      entry.consecutiveFailures = 0;
    }
    health.set(channel, entry);
    await db
      .insert(alertDeliveries)
      .values({ alertId, channel, kind, ok: !error, latencyMs, error: error?.message ?? null, at })
      .catch((insertError: unknown) => logger.warn({ err: insertError }, "could not record an alert delivery"));
    try {
      deps.onDelivery?.(channel, error ? (error.retryAfterMs !== undefined ? "rate_limited" : "failure") : "success", latencyMs);
    } catch (hookError) {
      logger.warn({ err: hookError }, "alert delivery hook failed");
    }
    if (error) throw error;
    return messageId;
  }

  // ---- delivery --------------------------------------------------------------------------------

  interface Routing {
    readonly rules: Record<AlertLevel, ChannelRule & { custom: boolean }>;
    readonly enabled: readonly AlertChannel[];
    readonly health: Map<AlertChannel, ChannelHealth>;
  }

  async function loadRouting(): Promise<Routing> {
    const custom = await state.customRules();
    const rules = Object.fromEntries(
      ALERT_LEVELS.map((level) => {
        const rule = custom[level];
        return [level, rule ? { ...rule, custom: true } : { ...defaultRule(configured), custom: false }];
      }),
    ) as Routing["rules"];
    const enabled = ((await state.enabledChannels()) ?? configured).filter((channel) => configured.includes(channel));
    return { rules, enabled, health: await loadHealth() };
  }

  /** Folds pending repeats of `head` (same type and key, within the window of its time) into it. */
  async function absorbRepeats(head: AlertRecord): Promise<{ head: AlertRecord; merged: number }> {
    if (windowMs <= 0) return { head, merged: 0 };
    return db.transaction(async (tx) => {
      const merged = await tx
        .update(alerts)
        .set({ status: "merged", mergedInto: head.id, updatedAt: now() })
        .where(
          and(
            eq(alerts.status, "pending"),
            eq(alerts.type, head.type),
            eq(alerts.dedupKey, head.dedupKey),
            gt(alerts.id, head.id),
            lt(alerts.occurredAt, new Date(head.occurredAt.getTime() + windowMs)),
            isNull(alerts.forcedChannels),
          ),
        )
        .returning({ occurredAt: alerts.occurredAt });
      if (merged.length === 0) return { head, merged: 0 };
      const latest = Math.max(head.lastRepeatAt?.getTime() ?? 0, ...merged.map((row) => row.occurredAt.getTime()));
      const [updated] = await tx
        .update(alerts)
        .set({ repeatCount: sql`${alerts.repeatCount} + ${merged.length}`, lastRepeatAt: new Date(latest), updatedAt: now() })
        .where(eq(alerts.id, head.id))
        .returning();
      return { head: updated ?? head, merged: merged.length };
    });
  }

  type Outcome = "delivered" | "merged" | "wait" | "failed" | "dead";

  async function processAlert(row: AlertRecord, routing: Routing, result: DeliveryRunResult): Promise<Outcome> {
    // A repeat of an alert already delivered: fold it (and its pending siblings) into that one.
    if (windowMs > 0 && row.forcedChannels === null) {
      const [head] = await db
        .select()
        .from(alerts)
        .where(
          and(
            eq(alerts.type, row.type),
            eq(alerts.dedupKey, row.dedupKey),
            eq(alerts.status, "delivered"),
            lt(alerts.id, row.id),
            gt(alerts.occurredAt, new Date(row.occurredAt.getTime() - windowMs)),
          ),
        )
        .orderBy(desc(alerts.id))
        .limit(1);
      if (head) {
        const { merged } = await absorbRepeats(head);
        result.merged += merged;
        if (merged > 0) return "merged";
      }
    }
    const absorbed = await absorbRepeats(row);
    result.merged += absorbed.merged;
    const alert = absorbed.head;
    const level = view(alert).level;
    const at = now().getTime();

    const forced = alert.forcedChannels?.filter(isAlertChannel);
    let candidates: AlertChannel[];
    if (forced && forced.length > 0) {
      candidates = forced.filter((channel) => configured.includes(channel));
    } else {
      const rule = routing.rules[level];
      const turn = rotation.get(level) ?? 0;
      rotation.set(level, turn + 1);
      const usable = (channel: AlertChannel) => routing.enabled.includes(channel);
      const isOpen = (channel: AlertChannel) => breakerState(routing.health.get(channel), at) === "open";
      candidates = channelsToTry(rule, { usable, rotation: turn, isOpen });
      if (rule.strategy === "health_based" && candidates.length === 0) {
        // Every usable channel's breaker is open: wait for the first to let a probe through (not a failed round).
        const open = channelsToTry({ ...rule, strategy: "priority_order" }, { usable, rotation: 0, isOpen });
        if (open.length > 0) {
          const reopen = Math.min(
            ...open.map((channel) => (routing.health.get(channel)?.lastFailureAt ?? 0) + CHANNEL_BREAKER_COOLDOWN_MS),
          );
          return waitUntil(alert, reopen, "every channel's breaker is open");
        }
      }
    }

    const errors: string[] = [];
    let onlyRateLimited = candidates.length > 0;
    let earliestRest = Number.POSITIVE_INFINITY;
    for (const channel of candidates) {
      const rest = restEnd(channel, now().getTime());
      if (rest !== undefined) {
        earliestRest = Math.min(earliestRest, rest);
        errors.push(`${channel}: resting until ${new Date(rest).toISOString()}`);
        continue;
      }
      try {
        const messageId = await attempt(channel, alert.id, "send", (driver) => driver.send(view(alert)), routing.health);
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
          .where(and(eq(alerts.id, alert.id), eq(alerts.status, "pending")))
          .returning({ id: alerts.id });
        if (delivered.length === 0) logger.warn({ alert: alert.id }, "delivered alert was changed meanwhile");
        return "delivered";
      } catch (error) {
        const failure = error instanceof ChannelError ? error : new ChannelError(String(error));
        errors.push(failure.message);
        if (failure.retryAfterMs !== undefined) {
          earliestRest = Math.min(earliestRest, now().getTime() + failure.retryAfterMs);
        } else {
          onlyRateLimited = false;
        }
        logger.warn({ alert: alert.id, channel, error: failure.message }, "alert channel failed");
      }
    }
    if (onlyRateLimited && Number.isFinite(earliestRest)) {
      return waitUntil(alert, earliestRest, errors.join("; "));
    }
    const failedAttempts = alert.failedAttempts + 1;
    const lastError = (candidates.length === 0 ? "no configured and enabled channel for this alert" : errors.join("; ")).slice(0, 1_000);
    if (failedAttempts > ALERT_MAX_RETRIES) {
      await db
        .update(alerts)
        .set({ status: "dead", failedAttempts, lastError, updatedAt: now() })
        .where(and(eq(alerts.id, alert.id), eq(alerts.status, "pending")));
      logger.error({ alert: alert.id, type: alert.type, lastError }, "alert undeliverable; moved to the alert dead letters");
      return "dead";
    }
    await db
      .update(alerts)
      .set({ failedAttempts, lastError, nextAttemptAt: new Date(now().getTime() + alertRetryDelayMs(failedAttempts)), updatedAt: now() })
      .where(and(eq(alerts.id, alert.id), eq(alerts.status, "pending")));
    return "failed";
  }

  async function waitUntil(alert: AlertRecord, untilMs: number, reason: string): Promise<Outcome> {
    await db
      .update(alerts)
      .set({ nextAttemptAt: new Date(untilMs), lastError: reason.slice(0, 1_000), updatedAt: now() })
      .where(and(eq(alerts.id, alert.id), eq(alerts.status, "pending")));
    return "wait";
  }

  /** Edits (or follows up) delivered alerts whose repeats are not shown yet. */
  async function showRepeats(routing: Routing, result: DeliveryRunResult): Promise<void> {
    const rows = await db
      .select()
      .from(alerts)
      .where(and(eq(alerts.status, "delivered"), sql`${alerts.repeatCount} > ${alerts.repeatShown}`))
      .orderBy(asc(alerts.id))
      .limit(MAX_UPDATES_PER_RUN);
    for (const [id, editedAt] of lastEditAt) if (now().getTime() - editedAt > EDIT_MIN_GAP_MS) lastEditAt.delete(id);
    for (const row of rows) {
      const at = now().getTime();
      const channel = isAlertChannel(row.deliveredChannel) ? row.deliveredChannel : undefined;
      const driver = channel ? drivers[channel] : undefined;
      const giveUp = at - (row.lastRepeatAt ?? row.occurredAt).getTime() > REPEAT_GIVE_UP_MS;
      if (!channel || !driver || giveUp) {
        await db.update(alerts).set({ repeatShown: row.repeatCount, updatedAt: now() }).where(eq(alerts.id, row.id));
        continue;
      }
      if (restEnd(channel, at) !== undefined) continue;
      if (driver.editable) {
        if (at - (lastEditAt.get(row.id) ?? 0) < EDIT_MIN_GAP_MS) continue;
      } else if (at < row.occurredAt.getTime() + windowMs) {
        continue; // one follow-up when the window is over, not one per repeat
      }
      try {
        const messageId = await attempt(
          channel,
          row.id,
          "update",
          (d) => d.update(view(row), row.telegramMessageId),
          routing.health,
        );
        lastEditAt.set(row.id, now().getTime());
        await db
          .update(alerts)
          .set({ repeatShown: row.repeatCount, telegramMessageId: messageId ?? row.telegramMessageId, updatedAt: now() })
          .where(eq(alerts.id, row.id));
        result.updated += 1;
      } catch (error) {
        logger.warn({ alert: row.id, channel, err: error }, "could not show an alert's repeats; will try again");
      }
    }
  }

  async function prune(): Promise<void> {
    const at = now().getTime();
    if (at - lastPruneAt < PRUNE_EVERY_MS) return;
    lastPruneAt = at;
    const before = new Date(at - ALERT_RETENTION_DAYS * 86_400_000);
    await db.delete(alerts).where(and(sql`${alerts.status} in ('delivered', 'merged')`, lt(alerts.occurredAt, before)));
    await db.delete(alertDeliveries).where(lt(alertDeliveries.at, before));
  }

  async function runWorker(): Promise<DeliveryRunResult> {
    const result: DeliveryRunResult = { delivered: 0, merged: 0, failed: 0, dead: 0, updated: 0, blocked: false, skipped: false };
    await outbox.drain();
    const leaseUntil = () => now().getTime() + LEASE_MS;
    if (!(await state.acquireLease(owner, now().getTime(), leaseUntil()))) return { ...result, skipped: true };
    try {
      const routing = await loadRouting();
      for (let handled = 0; handled < MAX_ALERTS_PER_RUN; handled++) {
        if (handled > 0) {
          await yieldToEventLoop(); // PGlite runs on this thread: let polling and timers breathe
          if (!(await state.acquireLease(owner, now().getTime(), leaseUntil()))) break;
        }
        const [row] = await db.select().from(alerts).where(eq(alerts.status, "pending")).orderBy(asc(alerts.id)).limit(1);
        if (!row) break;
        if (row.nextAttemptAt.getTime() > now().getTime()) {
          result.blocked = true;
          break;
        }
        const outcome = await processAlert(row, routing, result);
        if (outcome === "delivered") result.delivered += 1;
        else if (outcome === "dead") result.dead += 1;
        else if (outcome === "failed" || outcome === "wait") {
          if (outcome === "failed") result.failed += 1;
          result.blocked = true;
          break;
        }
      }
      await showRepeats(routing, result);
      await prune();
    } finally {
      await state.releaseLease(owner).catch((error: unknown) => logger.warn({ err: error }, "could not release the alert lease"));
    }
    return result;
  }

  /** Delivers due alerts in order (one run at a time in this process; joins a run in flight). */
  function deliverDue(): Promise<DeliveryRunResult> {
    running ??= runWorker().finally(() => {
      running = undefined;
    });
    return running;
  }

  // ---- admin views and actions -----------------------------------------------------------------

  async function statistics(): Promise<AlertStatistics> {
    const routing = await loadRouting();
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
        const rest = restEnd(channel, at);
        const stats: ChannelStatistics = {
          configured: configured.includes(channel),
          enabled: routing.enabled.includes(channel),
          attempts,
          successes,
          failures: attempts - successes,
          successRate: attempts > 0 ? successes / attempts : null,
          meanLatencyMs: row?.meanLatency === null || row?.meanLatency === undefined ? null : Math.round(Number(row.meanLatency)),
          breaker: breakerState(routing.health.get(channel), at),
          restingUntil: rest === undefined ? null : new Date(rest).toISOString(),
        };
        return [channel, stats];
      }),
    ) as Record<AlertChannel, ChannelStatistics>;
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
      minLevel: config.alerts.minLevel,
      dedupWindowSeconds: config.alerts.dedupWindowSeconds,
      bufferedInMemory: outbox.buffered,
      retentionDays: ALERT_RETENTION_DAYS,
    };
  }

  /** Dead alerts, newest first. */
  function deadLetters(limit = 100): Promise<AlertRecord[]> {
    return db.select().from(alerts).where(eq(alerts.status, "dead")).orderBy(desc(alerts.id)).limit(limit);
  }

  /** Pending alerts in delivery order (those with failed attempts are being retried). */
  function retryQueue(limit = 100): Promise<AlertRecord[]> {
    return db.select().from(alerts).where(eq(alerts.status, "pending")).orderBy(asc(alerts.id)).limit(limit);
  }

  /** The latest alerts that are not folded repeats, newest first. */
  function latest(limit = 5): Promise<AlertRecord[]> {
    return db
      .select()
      .from(alerts)
      .where(sql`${alerts.status} <> 'merged'`)
      .orderBy(desc(alerts.id))
      .limit(limit);
  }

  /**
   * Puts a dead alert back in the queue (through `channels` when given, instead of its level's
   * rule) and runs the worker; the alert as it stands afterwards.
   */
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
    await deliverDue(); // may have joined a run that started before the requeue:
    let [after] = await db.select().from(alerts).where(eq(alerts.id, id));
    if (after?.status === "pending") {
      await deliverDue();
      [after] = await db.select().from(alerts).where(eq(alerts.id, id));
    }
    return { ok: true, alert: after ?? row };
  }

  let feature: Composer<BotContext> | undefined;
  const alerting: Alerting = {
    raise,
    recordFailure,
    deliverDue,
    statistics,
    deadLetters,
    retryQueue,
    latest,
    reprocess,
    configuredChannels: configured,
    setRule: (level, rule) => state.setRule(level, rule),
    resetRule: (level) => state.deleteRule(level),
    setEnabledChannels: (channels) => state.setEnabledChannels(channels),
    registerRoutes(http) {
      if (config.alerts.adminApiToken) registerAlertRoutes(http, alerting, config.alerts.adminApiToken);
    },
    get feature() {
      feature ??= createAlertsFeature({ alerts: alerting });
      return feature;
    },
    get buffered() {
      return outbox.buffered;
    },
    format,
  };
  return alerting;
}
