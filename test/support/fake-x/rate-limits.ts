// Per-caller fixed-window rate limits and X's x-rate-limit-* headers.
import { FAKE_X_DEFAULT_RATE_LIMITS, type FakeXUserEndpointKey, type FakeXRateLimitConfig } from "./types.js";

interface Bucket {
  count: number;
  windowStart: number;
}

/** X's rate-limit headers. */
export function rateHeaders(limit: number, remaining: number, reset: number): Record<string, string> {
  return {
    "x-rate-limit-limit": String(limit),
    "x-rate-limit-remaining": String(Math.max(0, remaining)),
    "x-rate-limit-reset": String(reset),
  };
}

/** The limits in force and the request counts per (endpoint, caller) window. */
export class RateLimits {
  private limits: Record<FakeXUserEndpointKey, FakeXRateLimitConfig>;
  private buckets = new Map<string, Bucket>();

  constructor(private readonly overrides: Partial<Record<FakeXUserEndpointKey, FakeXRateLimitConfig>> | undefined) {
    this.limits = { ...FAKE_X_DEFAULT_RATE_LIMITS, ...overrides };
  }

  /** The limit of an endpoint. */
  limitOf(key: FakeXUserEndpointKey): number {
    return this.limits[key].limit;
  }

  /** Change a limit; resets that endpoint's counters. */
  set(key: FakeXUserEndpointKey, limit: number, windowSeconds: number): void {
    this.limits[key] = { limit, windowSeconds };
    for (const id of [...this.buckets.keys()]) if (id.startsWith(`${key}|`)) this.buckets.delete(id);
  }

  /** Current bucket of (endpoint, caller), rolled over when its window has passed. */
  bucket(key: FakeXUserEndpointKey, callerKey: string): { bucket: Bucket; cfg: FakeXRateLimitConfig; reset: number } {
    const cfg = this.limits[key];
    const now = Date.now();
    const id = `${key}|${callerKey}`;
    let bucket = this.buckets.get(id);
    if (!bucket || now >= bucket.windowStart + cfg.windowSeconds * 1000) {
      bucket = { count: 0, windowStart: now };
      this.buckets.set(id, bucket);
    }
    return { bucket, cfg, reset: Math.ceil((bucket.windowStart + cfg.windowSeconds * 1000) / 1000) };
  }

  /** The headers of (endpoint, caller) without counting a request. */
  peekHeaders(key: FakeXUserEndpointKey, callerKey: string): Record<string, string> {
    const { bucket, cfg, reset } = this.bucket(key, callerKey);
    return rateHeaders(cfg.limit, cfg.limit - bucket.count, reset);
  }

  /** Back to the configured limits with empty counters. */
  reset(): void {
    this.buckets.clear();
    this.limits = { ...FAKE_X_DEFAULT_RATE_LIMITS, ...this.overrides };
  }
}
