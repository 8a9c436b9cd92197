// Injected faults: error answers (429 with retry_after, 5xx, 4xx) or delays, per method.
import type { Answer, EmulatorState } from "./state.js";
import type { EmulatorFault } from "./types.js";

/** Consumes one use of the next fault queued for `lower` (a lower-cased method name). */
export function takeFault(s: EmulatorState, lower: string): EmulatorFault | undefined {
  const queue = s.faults.get(lower);
  const head = queue?.[0];
  if (!queue || !head) return undefined;
  head.remaining -= 1;
  if (head.remaining <= 0) queue.shift();
  return head.fault;
}

/** The answer Telegram gives for an error status. */
export function faultAnswer(fault: { status: number; retryAfter?: number; description?: string }): Answer {
  if (fault.status === 429) {
    const retryAfter = fault.retryAfter ?? 1;
    return {
      ok: false,
      error_code: 429,
      description: fault.description ?? `Too Many Requests: retry after ${retryAfter}`,
      parameters: { retry_after: retryAfter },
    };
  }
  const defaults: Record<number, string> = {
    400: "Bad Request: injected fault",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
  };
  return { ok: false, error_code: fault.status, description: fault.description ?? defaults[fault.status] ?? "Error" };
}
