/**
 * Delay before the next try after `attempt` failed tries (1-based): `baseMs` × `multiplier`^(attempt − 1), at most
 * `maxMs` (pass `Number.POSITIVE_INFINITY` when the number of tries, not the delay, is the bound). Attempt 0 counts
 * as the first.
 */
export function exponentialBackoffMs(attempt: number, baseMs: number, maxMs: number, multiplier = 2): number {
  return Math.min(baseMs * multiplier ** Math.max(0, attempt - 1), maxMs);
}
