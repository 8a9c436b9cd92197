/** Thrown by {@link raceAbort} when the signal fires first. */
export class RaceAbortedError extends Error {
  constructor() {
    super("The operation was aborted");
    this.name = "AbortError";
  }
}

/**
 * Settles with `work`, or rejects with {@link RaceAbortedError} as soon as `signal` fires, whichever comes first.
 * The losing `work` is still observed, so its later rejection is never unhandled.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new RaceAbortedError());
    if (signal.aborted) {
      onAbort();
    } else {
      signal.addEventListener("abort", onAbort, { once: true });
    }
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
