import { TaskCancelledError, timeout, TimeoutStrategy } from "cockatiel";

/**
 * Runs `work` under cockatiel's aggressive timeout: the promise rejects with a `TaskCancelledError`
 * once `ms` pass, whether or not `work` honours the signal. For ports with no timeout of their own
 * (grammY waits up to 500 s), so a caller cannot hang on them.
 */
export function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return timeout(ms, TimeoutStrategy.Aggressive).execute(({ signal }) => work(signal));
}

/** True when `error` is the rejection of {@link withDeadline} running out (cockatiel's own guard is unreliable in 3.2.1). */
export function isDeadlineExceeded(error: unknown): boolean {
  return error instanceof TaskCancelledError;
}

/** Thrown by {@link withTimeout} when the work did not settle in time; the message names what hung. */
export class TimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** {@link withDeadline} for work already started that takes no signal: rejects with a {@link TimeoutError} naming `what`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  try {
    return await withDeadline(ms, () => work);
  } catch (error) {
    if (isDeadlineExceeded(error)) throw new TimeoutError(what, ms);
    throw error;
  }
}

/**
 * Waits for `work` to settle, but not past `deadline` (epoch ms): resolves true when it settled in time, false when
 * the deadline came first. Never rejects: for shutdown steps that drain what is in flight and then move on.
 */
export async function settleBy(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  const settled = work.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
  }
}
