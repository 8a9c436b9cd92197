import { isDeadlineExceeded, withDeadline } from "../resilience/deadline.js";
import { fail, reasonOf, type CheckLine, type DoctorCheck } from "./check.js";

function isLineList(result: CheckLine | readonly CheckLine[]): result is readonly CheckLine[] {
  return Array.isArray(result);
}

/** Runs one check under its time limit; a check that throws or runs out of time is one failed line. */
async function runOne(check: DoctorCheck, timeoutMs: number): Promise<readonly CheckLine[]> {
  const limit = check.timeLimitMs ?? timeoutMs;
  try {
    const result = await withDeadline(limit, (signal) => check.run(signal));
    return isLineList(result) ? result : [result];
  } catch (error) {
    if (isDeadlineExceeded(error)) return [fail(check.name, `no answer within ${formatSeconds(limit)}`, check.onTimeout)];
    return [fail(check.name, reasonOf(error), check.onTimeout)];
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Runs every check at once (a dead dependency costs one timeout, not one per check) and hands the lines to `print`
 * in the checks' order, each as soon as it and the ones before it are known. Resolves with every line.
 */
export async function runChecks(
  checks: readonly DoctorCheck[],
  options: { readonly timeoutMs: number; readonly print: (line: CheckLine) => void },
): Promise<CheckLine[]> {
  const running = checks.map((check) => runOne(check, options.timeoutMs));
  const lines: CheckLine[] = [];
  for (const pending of running) {
    for (const line of await pending) {
      options.print(line);
      lines.push(line);
    }
  }
  return lines;
}

/** The process exit code of a run: 1 when any line failed (warnings pass). */
export function exitCodeOf(lines: readonly CheckLine[]): number {
  return lines.some((line) => line.status === "fail") ? 1 : 0;
}
