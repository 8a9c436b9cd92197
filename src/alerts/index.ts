/** Alerting: typed alerts, a durable outbox, in-order delivery with fallbacks, and the admin service. */
export type { AlertAdmin, AlertStatistics, ChannelStatistics, ReprocessResult } from "./admin.js";
export { createAlerting, type Alerting, type AlertingDeps } from "./alerting.js";
export { CHANNEL_BREAKER_COOLDOWN_MS, CHANNEL_BREAKER_THRESHOLD } from "./channel-health.js";
export { TELEGRAM_PER_MINUTE } from "./channel-gate.js";
export { createTelegramAlertSender, type AlertBotApi, type TelegramAlertSender } from "./channels.js";
export type { DeliveryRunResult } from "./delivery.js";
export { FailureCounter, MULTIPLE_FAILURES_THRESHOLD, MULTIPLE_FAILURES_WINDOW_MS } from "./failure-counter.js";
export { formatAlertHtml, formatAlertText, type AlertView, type FormatOptions } from "./format.js";
export type { AlertRecord } from "./records.js";
export { ALERT_RETENTION_DAYS } from "./retention.js";
export { ALERT_MAX_RETRIES, ALERT_RETRY_BASE_MS, alertRetryDelayMs } from "./send-alert.js";
export * from "./types.js";
export { alertFromBreaker, alertFromDeadLetter, alertFromNotice } from "./sources.js";
