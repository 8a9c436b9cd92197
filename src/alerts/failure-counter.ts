/** Default N of {@link FailureCounter}: failures of one kind that make a `multiple_failures` alert. */
export const MULTIPLE_FAILURES_THRESHOLD = 5;
/** Default window of {@link FailureCounter}: the N failures must fall within these 10 minutes. */
export const MULTIPLE_FAILURES_WINDOW_MS = 10 * 60_000;

/**
 * Counts failures per kind in a sliding window and says when a kind reaches `threshold` within
 * `windowMs`; the kind's count then starts again from zero, so a steady stream of failures trips
 * once per `threshold` failures, never once per failure. In memory: a restart forgets the counts.
 */
export class FailureCounter {
  private readonly seen = new Map<string, number[]>();

  constructor(
    readonly threshold: number = MULTIPLE_FAILURES_THRESHOLD,
    readonly windowMs: number = MULTIPLE_FAILURES_WINDOW_MS,
  ) {}

  /** Records one failure of `kind` at `at`; returns the count that tripped, or undefined. */
  record(kind: string, at: Date = new Date()): number | undefined {
    const now = at.getTime();
    const recent = (this.seen.get(kind) ?? []).filter((t) => now - t < this.windowMs);
    recent.push(now);
    if (recent.length >= this.threshold) {
      this.seen.delete(kind);
      return recent.length;
    }
    this.seen.set(kind, recent);
    return undefined;
  }

  /** Failures of `kind` currently in the window. */
  count(kind: string, at: Date = new Date()): number {
    return (this.seen.get(kind) ?? []).filter((t) => at.getTime() - t < this.windowMs).length;
  }
}
