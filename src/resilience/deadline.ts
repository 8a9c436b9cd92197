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
