/**
 * Which channels an alert goes out on: a rule per level (primary, ordered fallbacks, strategy),
 * the global set of enabled channels, and validation of both as the admin API receives them.
 */
import {
  ALERT_CHANNELS,
  DELIVERY_STRATEGIES,
  isAlertChannel,
  isDeliveryStrategy,
  type AlertChannel,
  type ChannelRule,
} from "./types.js";

/** Every level's rule unless an admin set one: Telegram first, then the webhook, then e-mail (the configured ones). */
export function defaultRule(configured: readonly AlertChannel[]): ChannelRule {
  return {
    primary: "telegram",
    fallbacks: (["webhook", "email"] as const).filter((channel) => configured.includes(channel)),
    strategy: "priority_order",
  };
}

/** A request body that failed validation: what is wrong and with which field. */
export interface ValidationFailure {
  readonly ok: false;
  readonly error: string;
  readonly field: string;
}

type Validated<T> = { readonly ok: true; readonly value: T } | ValidationFailure;

const fail = (field: string, error: string): ValidationFailure => ({ ok: false, field, error });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function channel(value: unknown, field: string, configured: readonly AlertChannel[]): Validated<AlertChannel> {
  if (!isAlertChannel(value)) return fail(field, `must be one of ${ALERT_CHANNELS.join(", ")}`);
  if (!configured.includes(value)) return fail(field, `channel ${value} is not configured`);
  return { ok: true, value };
}

/** Validates a list of distinct, configured channels (`allowEmpty` false: at least one). */
export function validateChannelList(
  value: unknown,
  field: string,
  configured: readonly AlertChannel[],
  allowEmpty: boolean,
): Validated<AlertChannel[]> {
  if (!Array.isArray(value)) return fail(field, "must be an array of channel names");
  if (!allowEmpty && value.length === 0) return fail(field, "must name at least one channel");
  const channels: AlertChannel[] = [];
  for (const item of value) {
    const checked = channel(item, field, configured);
    if (!checked.ok) return checked;
    if (channels.includes(checked.value)) return fail(field, `lists ${checked.value} twice`);
    channels.push(checked.value);
  }
  return { ok: true, value: channels };
}

/** Validates `{ primary, fallbacks?, strategy? }` of `POST rules/:level`. */
export function validateRule(body: unknown, configured: readonly AlertChannel[]): Validated<ChannelRule> {
  if (!isObject(body)) return fail("body", "must be a JSON object like {\"primary\":\"telegram\",\"fallbacks\":[\"webhook\"]}");
  const unknown = Object.keys(body).find((key) => !["primary", "fallbacks", "strategy"].includes(key));
  if (unknown !== undefined) return fail(unknown, "is not a rule field (primary, fallbacks, strategy)");
  if (body.primary === undefined) return fail("primary", "is required");
  const primary = channel(body.primary, "primary", configured);
  if (!primary.ok) return primary;
  const fallbacks = validateChannelList(body.fallbacks ?? [], "fallbacks", configured, true);
  if (!fallbacks.ok) return fallbacks;
  if (fallbacks.value.includes(primary.value)) return fail("fallbacks", `must not repeat the primary channel ${primary.value}`);
  const strategy = body.strategy ?? "priority_order";
  if (!isDeliveryStrategy(strategy)) return fail("strategy", `must be one of ${DELIVERY_STRATEGIES.join(", ")}`);
  return { ok: true, value: { primary: primary.value, fallbacks: fallbacks.value, strategy } };
}

/** A stored rule read back (tolerant: a rule naming a channel since unconfigured just skips it). */
export function parseStoredRule(value: unknown): ChannelRule | undefined {
  if (!isObject(value) || !isAlertChannel(value.primary) || !Array.isArray(value.fallbacks)) return undefined;
  const strategy = isDeliveryStrategy(value.strategy) ? value.strategy : "priority_order";
  return { primary: value.primary, fallbacks: value.fallbacks.filter(isAlertChannel), strategy };
}

/**
 * The channels to try for one alert, in order. `usable` drops channels that are not configured
 * or not enabled; `rotation` (round robin) is how many alerts of the level came before;
 * `isOpen` (health based) says a channel's breaker is open.
 */
export function channelsToTry(
  rule: ChannelRule,
  options: { usable: (channel: AlertChannel) => boolean; rotation: number; isOpen: (channel: AlertChannel) => boolean },
): AlertChannel[] {
  const list = [rule.primary, ...rule.fallbacks].filter(
    (candidate, index, all) => all.indexOf(candidate) === index && options.usable(candidate),
  );
  switch (rule.strategy) {
    case "round_robin": {
      if (list.length === 0) return list;
      const start = options.rotation % list.length;
      return [...list.slice(start), ...list.slice(0, start)];
    }
    case "health_based":
      return list.filter((candidate) => !options.isOpen(candidate));
    default:
      return list;
  }
}
