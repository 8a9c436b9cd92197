/**
 * When a channel may be tried: not while it waits out a rate limit it was given (429 retry_after),
 * and, for Telegram, not past {@link TELEGRAM_PER_MINUTE} sends and edits a minute. Waiting here is
 * never a failure. In memory: after a restart the first try meets the peer's limit again.
 */
import { SlidingWindowLimit } from "../resilience/sliding-window.js";
import type { AlertChannel } from "./types.js";

/** Telegram sends and edits per minute: under the ~20/min a group allows. */
export const TELEGRAM_PER_MINUTE = 18;

/** Rests and the Telegram throttle of the alert channels. */
export interface ChannelGate {
  /** Until when `channel` must not be tried (ms), or undefined when it may be tried at `at`. */
  restEnd(channel: AlertChannel, at: number): number | undefined;
  /** Makes `channel` rest until `until` (ms). */
  rest(channel: AlertChannel, until: number): void;
  /** Notes a try of `channel` at `at` (ms). */
  noteCall(channel: AlertChannel, at: number): void;
}

/** A {@link ChannelGate}; `telegramPerMinute` overrides {@link TELEGRAM_PER_MINUTE}. */
export function createChannelGate(telegramPerMinute = TELEGRAM_PER_MINUTE): ChannelGate {
  const restingUntil = new Map<AlertChannel, number>();
  const telegram = new SlidingWindowLimit(telegramPerMinute, 60_000);
  return {
    restEnd(channel, at) {
      let until = restingUntil.get(channel);
      if (until !== undefined && until <= at) {
        restingUntil.delete(channel);
        until = undefined;
      }
      const throttled = channel === "telegram" ? telegram.freeAt(at) : undefined;
      return throttled === undefined ? until : Math.max(until ?? 0, throttled);
    },
    rest(channel, until) {
      restingUntil.set(channel, until);
    },
    noteCall(channel, at) {
      if (channel === "telegram") telegram.note(at);
    },
  };
}
