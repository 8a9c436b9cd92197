import { computePublishTime, quietHoursEnd } from "../schedule.js";
import type { RuntimeSettings } from "../settings.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** What the estimate reads: the schedule and pacing settings, the zone of the quiet hours, the moment of approval. */
export interface EstimateInput {
  readonly now: Date;
  readonly settings: Pick<
    RuntimeSettings,
    "minDelayMinutes" | "maxDelayMinutes" | "jitterSeconds" | "quietHours" | "gapSeconds" | "maxPostsPerHour" | "maxPostsPerDay"
  >;
  readonly timeZone: string;
  /** Replies each account will post (bound ones on their account, free ones spread by the caller). */
  readonly perAccount: readonly number[];
}

/**
 * The earliest and latest publish times of a batch, if nothing else is in the way: the first reply at the shortest
 * delay, each account's last one after the longest delay and jitter, the longest gap between its posts, its hourly
 * and daily limits, and the quiet hours (in `timeZone`). Undefined for an empty batch.
 */
export function estimatePublishWindow(input: EstimateInput): { earliest: Date; latest: Date } | undefined {
  const counts = input.perAccount.filter((n) => n > 0);
  if (counts.length === 0) return undefined;
  const { settings, timeZone, now } = input;
  const schedule = { now, ...settings, timeZone };
  const earliest = computePublishTime({ ...schedule, random: () => 0 });
  const firstLatest = computePublishTime({ ...schedule, random: () => 1 });
  let latest = earliest;
  for (const count of counts) {
    const last = lastPostOfAccount(firstLatest, count, input);
    if (last > latest) latest = last;
  }
  return { earliest, latest };
}

/** When an account posts the last of `count` replies, starting no sooner than `start`. */
function lastPostOfAccount(start: Date, count: number, input: EstimateInput): Date {
  const { settings, timeZone } = input;
  const gapMs = Math.max(settings.gapSeconds.min, settings.gapSeconds.max) * 1000;
  const perHour = Math.max(1, settings.maxPostsPerHour);
  const perDay = Math.max(1, settings.maxPostsPerDay);
  const times: number[] = [];
  let at = start.getTime();
  for (let index = 0; index < count; index++) {
    for (;;) {
      let next = quietHoursEnd(new Date(at), settings.quietHours, timeZone)?.getTime() ?? at;
      if (index >= perHour) next = Math.max(next, times[index - perHour]! + HOUR_MS);
      if (index >= perDay) next = Math.max(next, times[index - perDay]! + DAY_MS);
      if (next === at) break;
      at = next;
    }
    times.push(at);
    at += gapMs;
  }
  return new Date(times.at(-1)!);
}
