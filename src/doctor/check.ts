import { errorChain, errorCode, rootMessage } from "../kit/error-chain.js";

/** How one line of the doctor ends: fine, worth a look, broken, or nothing to check. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

/** One printed line: what was checked, what was found and, when something is wrong, what to do. */
export interface CheckLine {
  readonly status: CheckStatus;
  readonly name: string;
  readonly detail: string;
  /** What to do about a failure or a warning. */
  readonly fix?: string;
}

/** One dependency the doctor checks, the way the bot would use it. */
export interface DoctorCheck {
  readonly name: string;
  /**
   * How long the check may take in all, when it is not the run's timeout: a check that opens the database and then
   * calls X needs the time of both. Each outside call inside a check has its own timeout as well.
   */
  readonly timeLimitMs?: number;
  /** What to look at when the check did not finish in time. */
  readonly onTimeout: string;
  /** Runs the check; `signal` aborts when its time is up. Throwing counts as a failure (the message is shown). */
  run(signal: AbortSignal): Promise<CheckLine | readonly CheckLine[]>;
}

/** A line for a check that found what it needed. */
export function ok(name: string, detail: string): CheckLine {
  return { status: "ok", name, detail };
}

/** A line for something that works today but deserves a look. */
export function warn(name: string, detail: string, fix?: string): CheckLine {
  return fix === undefined ? { status: "warn", name, detail } : { status: "warn", name, detail, fix };
}

/** A line for a dependency the bot cannot use as configured. */
export function fail(name: string, detail: string, fix: string): CheckLine {
  return { status: "fail", name, detail, fix };
}

/** A line for an optional dependency that is not configured. */
export function skip(name: string, detail: string): CheckLine {
  return { status: "skip", name, detail };
}

/**
 * Why something failed, in the words of the deepest cause (fetch's "fetch failed" wraps the socket's own error), with
 * its code when the words leave it out. A "request to <url> failed, reason: …" message keeps only the reason: the
 * Bot API's URL carries the token.
 */
export function reasonOf(error: unknown): string {
  const deepest = [...errorChain(error)].at(-1);
  const message = rootMessage(error);
  const reason = message.includes("reason: ") ? message.slice(message.lastIndexOf("reason: ") + "reason: ".length) : message;
  const code = errorCode(deepest);
  return code !== undefined && !reason.includes(code) ? `${code}: ${reason}` : reason;
}
