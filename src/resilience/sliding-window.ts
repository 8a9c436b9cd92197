/**
 * At most `limit` calls in any `windowMs`: a throttle for peers with a published flood limit
 * (Telegram's ~20 messages a minute per group). In memory; the caller notes each call it makes.
 */
export class SlidingWindowLimit {
  private readonly calls: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Notes a call made at `at` (ms). */
  note(at: number): void {
    this.calls.push(at);
  }

  /** When the next call may be made, or undefined when one may be made at `at` (ms). */
  freeAt(at: number): number | undefined {
    while (this.calls.length > 0 && this.calls[0]! <= at - this.windowMs) this.calls.shift();
    return this.calls.length >= this.limit ? this.calls[0]! + this.windowMs : undefined;
  }
}
