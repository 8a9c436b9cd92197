/** How a single-flight task runs again for calls that arrived while it ran, and how the results add up. */
export interface RerunOptions<T> {
  /** A call during a run makes that run go once more before it settles, so the call's wake-up is not lost. */
  readonly rerun: true;
  /** Folds the result of a further pass into the total the callers get. */
  readonly combine: (total: T, next: T) => T;
}

/**
 * Runs `task` one at a time in this process: a call while a run is in progress joins it (gets the same promise).
 * With {@link RerunOptions}, such a call also makes the run do one more pass after the current one (however many
 * calls came meanwhile), and every caller gets the combined result.
 */
export function singleFlight<T>(task: () => Promise<T>, options?: RerunOptions<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let again = false;

  async function passes(): Promise<T> {
    try {
      again = false;
      let total: T = await task();
      while (again && options) {
        again = false;
        total = options.combine(total, await task());
      }
      return total;
    } finally {
      running = undefined;
    }
  }

  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = passes();
    return running;
  };
}
