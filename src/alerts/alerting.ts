/**
 * Alerting: typed alerts raised into a durable outbox (raise.ts, outbox.ts) and delivered, in order,
 * by a worker (delivery.ts, send-alert.ts) over the channels a level's rule picks (routing.ts),
 * with repeats folded (dedup.ts, repeats.ts), channel health kept (channel-health.ts) and admin
 * queries (admin.ts). This façade only composes the parts; the `/alerts` command and the admin HTTP
 * API are mounted by the app from bot/features/alerts.ts and http/alerts-routes.ts.
 */
import { secretsOf, type Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";
import { createAlertAdmin, type AlertAdmin } from "./admin.js";
import { createChannelAttempt } from "./channel-attempt.js";
import { createChannelGate } from "./channel-gate.js";
import { emailChannel, telegramChannel, webhookChannel, type ChannelDriver, type TelegramAlertSender } from "./channels.js";
import { createDedup } from "./dedup.js";
import { createDeliveryWorker, type DeliveryRunResult } from "./delivery.js";
import type { FormatOptions } from "./format.js";
import { createOutbox } from "./outbox.js";
import { createAlertRaiser, type AlertRaiser } from "./raise.js";
import { createRepeatShower } from "./repeats.js";
import { createPruner } from "./retention.js";
import { createRouter } from "./routing.js";
import { createSendAlert } from "./send-alert.js";
import { createAlertState } from "./state.js";
import { ALERT_CHANNELS, type AlertChannel, type DeliveryOutcome } from "./types.js";

/** The alerting service {@link createAlerting} returns. */
export interface Alerting extends AlertAdmin, AlertRaiser {
  /** Delivers due alerts in order; one run at a time in this process (a second call joins it). */
  deliverDue(): Promise<DeliveryRunResult>;
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
  /** Overrides `TELEGRAM_PER_MINUTE`. */
  readonly telegramPerMinute?: number;
}

/** Builds alerting; starts nothing (the lead runs `deliverDue` on ALERT_CRON). */
export function createAlerting(deps: AlertingDeps): Alerting {
  const { db, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const windowMs = config.alerts.dedupWindowSeconds * 1000;
  // secretsOf counts the webhook URL among them: a Slack or Discord webhook URL is itself a credential.
  const secrets = secretsOf(config);
  const format: FormatOptions = { timeZone: config.timeZone, secrets };

  const drivers: Partial<Record<AlertChannel, ChannelDriver>> = { telegram: telegramChannel(deps.telegram, format) };
  if (config.alerts.webhookUrl) drivers.webhook = webhookChannel(config.alerts.webhookUrl, format, deps.fetch ?? fetch);
  if (config.alerts.email) drivers.email = emailChannel(config.alerts.email, format, deps.mailTransport);
  const configured = ALERT_CHANNELS.filter((channel) => drivers[channel] !== undefined);

  const state = createAlertState(db);
  const outbox = createOutbox({ db, logger, now });
  const gate = createChannelGate(deps.telegramPerMinute);
  const router = createRouter({ db, state, configured });
  const attempt = createChannelAttempt({ db, logger, drivers, gate, now, onDelivery: deps.onDelivery });
  const deliverDue = createDeliveryWorker({
    db,
    logger,
    now,
    state,
    outbox,
    router,
    sendAlert: createSendAlert({ db, logger, now, dedup: createDedup({ db, windowMs, now }), router, gate, attempt, timeZone: config.timeZone }),
    showRepeats: createRepeatShower({ db, logger, now, windowMs, drivers, gate, attempt }),
    prune: createPruner(db, now),
  });
  const admin = createAlertAdmin({
    db,
    logger,
    now,
    state,
    router,
    gate,
    configured,
    format,
    minLevel: config.alerts.minLevel,
    dedupWindowSeconds: config.alerts.dedupWindowSeconds,
    buffered: () => outbox.buffered,
    deliverDue,
  });
  const raiser = createAlertRaiser({ outbox, logger, now, minLevel: config.alerts.minLevel, secrets });
  return {
    ...admin,
    ...raiser,
    deliverDue,
    get buffered() {
      return outbox.buffered;
    },
  };
}
