/** Alert levels, lowest first; an alert is sent when its level is at least `MIN_ALERT_LEVEL`. */
export const ALERT_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;

/** How serious an alert is. */
export type AlertLevel = (typeof ALERT_LEVELS)[number];

/** Every kind of alert the bot raises. */
export const ALERT_TYPES = [
  "initialization_failed",
  "circuit_breaker_open",
  "circuit_breaker_closed",
  "rate_limit_exceeded",
  "publication_failed",
  "tweet_processing_failed",
  "multiple_failures",
  "session_failed",
  "session_recovered",
  "sessions_verified",
  "dlq_exhausted",
  "card_failed",
  "ai_outage",
  "ai_recovered",
  "crash_recovered",
  "bot_started",
  "bot_stopped",
] as const;

/** One kind of alert. */
export type AlertType = (typeof ALERT_TYPES)[number];

/**
 * The level each type is usually raised at. Recoveries are `warning`, not `info`, so that with the
 * default `MIN_ALERT_LEVEL=warning` a "breaker closed" follows every "breaker open" admins saw.
 */
export const SUGGESTED_LEVELS = {
  initialization_failed: "critical",
  circuit_breaker_open: "error",
  circuit_breaker_closed: "warning",
  rate_limit_exceeded: "warning",
  publication_failed: "error",
  tweet_processing_failed: "warning",
  multiple_failures: "error",
  session_failed: "critical",
  session_recovered: "warning",
  // Warning, so the one report of each boot reaches the admin chat with the default MIN_ALERT_LEVEL.
  sessions_verified: "warning",
  dlq_exhausted: "error",
  card_failed: "error",
  ai_outage: "error",
  ai_recovered: "warning",
  crash_recovered: "warning",
  bot_started: "info",
  bot_stopped: "info",
} as const satisfies Record<AlertType, AlertLevel>;

/** A value of an alert's details (undefined entries are dropped). */
export type AlertDetailValue = string | number | boolean | null | undefined;

/** What a caller raises. */
export interface AlertInput {
  readonly type: AlertType;
  readonly level: AlertLevel;
  /** One line or a few; never a secret (secrets are redacted anyway). */
  readonly message: string;
  /** Deduplication key within the type, e.g. the breaker name "x:main"; default "". */
  readonly key?: string;
  readonly details?: Readonly<Record<string, AlertDetailValue>>;
}

/** The channels an alert can go out on. */
export const ALERT_CHANNELS = ["telegram", "webhook", "email"] as const;

/** One delivery channel. */
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

/** How the channels of a rule are tried. */
export const DELIVERY_STRATEGIES = ["priority_order", "round_robin", "health_based"] as const;

/**
 * `priority_order`: primary, then the fallbacks in order, until one succeeds. `round_robin`: the
 * same list rotated by one on every alert of the level. `health_based`: priority order, skipping
 * channels whose breaker is open.
 */
export type DeliveryStrategy = (typeof DELIVERY_STRATEGIES)[number];

/** Which channels an alert of one level goes out on. */
export interface ChannelRule {
  readonly primary: AlertChannel;
  readonly fallbacks: readonly AlertChannel[];
  readonly strategy: DeliveryStrategy;
}

/** How one channel try ended, for metrics. */
export type DeliveryOutcome = "success" | "failure" | "rate_limited";

/** True when `level` is at least `min`. */
export function isAtLeast(level: AlertLevel, min: AlertLevel): boolean {
  return ALERT_LEVELS.indexOf(level) >= ALERT_LEVELS.indexOf(min);
}

/** Type guards for values read from requests and the database. */
export const isAlertLevel = (value: unknown): value is AlertLevel => ALERT_LEVELS.includes(value as AlertLevel);
export const isAlertType = (value: unknown): value is AlertType => ALERT_TYPES.includes(value as AlertType);
export const isAlertChannel = (value: unknown): value is AlertChannel => ALERT_CHANNELS.includes(value as AlertChannel);
export const isDeliveryStrategy = (value: unknown): value is DeliveryStrategy =>
  DELIVERY_STRATEGIES.includes(value as DeliveryStrategy);
