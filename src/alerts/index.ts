/** Alerting: typed alerts, a durable outbox, in-order delivery with fallbacks, and its admin surfaces. */
export {
  ALERT_MAX_RETRIES,
  ALERT_RETENTION_DAYS,
  ALERT_RETRY_BASE_MS,
  CHANNEL_BREAKER_COOLDOWN_MS,
  CHANNEL_BREAKER_THRESHOLD,
  TELEGRAM_PER_MINUTE,
  alertRetryDelayMs,
  createAlerting,
  type AlertAdmin,
  type AlertRecord,
  type AlertStatistics,
  type Alerting,
  type AlertingDeps,
  type ChannelStatistics,
  type DeliveryRunResult,
  type ReprocessResult,
} from "./alerting.js";
export { ALERT_API_PREFIX, hasBearerToken } from "./api.js";
export { createTelegramAlertSender, type AlertBotApi, type TelegramAlertSender } from "./channels.js";
export { FailureCounter, MULTIPLE_FAILURES_THRESHOLD, MULTIPLE_FAILURES_WINDOW_MS } from "./failure-counter.js";
export { formatAlertHtml, formatAlertText, type AlertView, type FormatOptions } from "./format.js";
export * from "./types.js";
export { alertFromBreaker, alertFromDeadLetter, alertFromNotice } from "./sources.js";
