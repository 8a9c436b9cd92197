// Waiting in tests for a condition on the emulator's state, with a failure message that shows that state.
import type { EmulatorState, Waiter } from "./state.js";

/** Resolves with the first defined value of `check`, rechecked on every change; rejects with `describe()` on timeout. */
export function waitFor<T>(s: EmulatorState, check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      s.waiters.delete(waiter);
      clearTimeout(timer);
    };
    const waiter: Waiter = {
      check: () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (e) {
          done();
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        if (value !== undefined) {
          done();
          resolve(value);
        }
      },
      abort: (err) => {
        done();
        reject(err);
      },
    };
    const timer = setTimeout(() => waiter.abort(new Error(describe())), timeoutMs);
    s.waiters.add(waiter);
    waiter.check();
  });
}

/** The last failed Bot API calls, for failure messages ("" when none). */
export function failedCallsSummary(s: EmulatorState): string {
  const failed = s.calls.filter((c) => c.ok === false).slice(-5);
  if (failed.length === 0) return "";
  return `\nRecent failed Bot API calls:\n${failed.map((c) => `  ${c.method} → ${c.errorCode ?? "?"} ${c.description ?? ""}`).join("\n")}`;
}
