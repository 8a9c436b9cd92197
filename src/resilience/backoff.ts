/**
 * Delay before the next try after `attempt` failed tries (1-based): `baseMs` × 2^(attempt − 1), at most
 * `maxMs` (pass `Number.POSITIVE_INFINITY` when the number of tries, not the delay, is the bound).
 */
export function exponentialBackoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}
