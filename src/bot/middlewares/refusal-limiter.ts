/** How long a stranger waits between two refusal texts. */
export const REFUSAL_INTERVAL_MS = 60 * 60 * 1000;
/** How many strangers are remembered; the oldest is forgotten first (a flood cannot grow memory). */
export const REFUSAL_MEMORY = 10_000;

/**
 * Decides whether a stranger gets the refusal text now: at most once per interval per id, remembered in a bounded
 * in-memory map in least-recently-refused order. Forgetting an id only means it may be refused once more.
 */
export class RefusalLimiter {
  private readonly lastRefused = new Map<number, number>();

  constructor(
    private readonly intervalMs = REFUSAL_INTERVAL_MS,
    private readonly capacity = REFUSAL_MEMORY,
    private readonly now: () => number = Date.now,
  ) {}

  /** True (and remembered) when `id` has not been refused within the interval. */
  tryRefuse(id: number): boolean {
    const now = this.now();
    const last = this.lastRefused.get(id);
    if (last !== undefined && now - last < this.intervalMs) return false;
    // Re-inserting moves the id to the young end of the Map's insertion order.
    this.lastRefused.delete(id);
    this.lastRefused.set(id, now);
    if (this.lastRefused.size > this.capacity) {
      const oldest = this.lastRefused.keys().next();
      if (oldest.done !== true) this.lastRefused.delete(oldest.value);
    }
    return true;
  }

  /** How many ids are remembered (for tests of the bound). */
  get size(): number {
    return this.lastRefused.size;
  }
}
