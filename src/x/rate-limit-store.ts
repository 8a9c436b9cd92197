import type { TwitterRateLimit } from "twitter-api-v2";
import type { XRateLimit } from "./types.js";

/** Suffix of the key under which X's per-app 24 h window (`x-app-limit-24hour-*`) is kept. */
export const APP_DAY_SUFFIX = " [app 24h]";
/** Suffix of the key under which X's per-user 24 h window (`x-user-limit-24hour-*`) is kept. */
export const USER_DAY_SUFFIX = " [user 24h]";

function toXRateLimit(window: { limit: number; remaining: number; reset: number } | undefined): XRateLimit | undefined {
  if (!window) return undefined;
  const { limit, remaining, reset } = window;
  if (![limit, remaining, reset].every(Number.isFinite)) return undefined;
  return { limit, remaining, resetAt: new Date(reset * 1000) };
}

/** Latest rate-limit headers seen per endpoint key ("POST /2/tweets"; 24 h windows under suffixed keys). */
export class RateLimitStore {
  private readonly latest = new Map<string, XRateLimit>();

  /** Remember the windows of one answer (no-op when X sent no rate-limit headers). */
  record(endpointKey: string, rateLimit: TwitterRateLimit | undefined): void {
    if (!rateLimit) return;
    const entries: [string, XRateLimit | undefined][] = [
      [endpointKey, toXRateLimit(rateLimit)],
      [endpointKey + APP_DAY_SUFFIX, toXRateLimit(rateLimit.day)],
      [endpointKey + USER_DAY_SUFFIX, toXRateLimit(rateLimit.userDay)],
    ];
    for (const [key, value] of entries) if (value) this.latest.set(key, value);
  }

  /** A snapshot copy. */
  snapshot(): ReadonlyMap<string, XRateLimit> {
    return new Map(this.latest);
  }
}
