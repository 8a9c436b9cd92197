/**
 * When an approved reply goes out (the wall-clock reading itself, and every displayed time, is in text/time.ts).
 *
 * Pure functions over `Date` and `Intl`: no I/O, no clock of their own (callers pass `now`), so the
 * maths is testable with fixed instants. Every wall-clock question goes through the IANA zone
 * data of `Intl`, which keeps DST changes and non-hour offsets (Asia/Kolkata, +05:30) right.
 */

import { wallClock, type WallClock } from "../text/time.js";

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

/** A daily quiet window in wall-clock minutes after local midnight; `start > end` wraps midnight. */
export interface QuietWindow {
  readonly startMinute: number;
  readonly endMinute: number;
}

const QUIET_HOURS_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Parses "HH:MM-HH:MM" (24 h); "" or a window whose start equals its end means no quiet hours.
 * Throws a `RangeError` on any other text (config and the settings store only pass validated specs).
 */
export function parseQuietHours(spec: string): QuietWindow | undefined {
  const trimmed = spec.trim();
  if (trimmed === "") return undefined;
  const match = QUIET_HOURS_PATTERN.exec(trimmed);
  if (!match) throw new RangeError(`quiet hours must be HH:MM-HH:MM or empty, got "${spec}"`);
  const [, startHour, startMinute, endHour, endMinute] = match.map(Number);
  const start = startHour! * 60 + startMinute!;
  const end = endHour! * 60 + endMinute!;
  return start === end ? undefined : { startMinute: start, endMinute: end };
}

/** What {@link computePublishTime} needs: the runtime settings of the schedule and the moment of approval. */
export interface PublishTimeInput {
  readonly now: Date;
  readonly minDelayMinutes: number;
  readonly maxDelayMinutes: number;
  readonly jitterSeconds: number;
  /** "HH:MM-HH:MM" in `timeZone`, or "" for none. */
  readonly quietHours: string;
  /** IANA zone the quiet hours are read in. */
  readonly timeZone: string;
  /** Uniform in [0, 1); called twice, delay first, then jitter. Defaults to `Math.random`. */
  readonly random?: () => number;
}

/**
 * The instant an approved reply should be published: `now` plus a delay uniform in
 * [min, max] minutes plus a jitter uniform in [0, jitter] seconds. An instant inside the quiet
 * window moves to the window's end, with the jitter kept on top so replies approved overnight
 * do not all go out on the same second.
 */
export function computePublishTime(input: PublishTimeInput): Date {
  const random = input.random ?? Math.random;
  const low = Math.min(input.minDelayMinutes, input.maxDelayMinutes);
  const high = Math.max(input.minDelayMinutes, input.maxDelayMinutes);
  const delayMs = Math.round((low + random() * (high - low)) * MINUTE_MS);
  const jitterMs = Math.round(random() * input.jitterSeconds * 1000);
  const candidate = input.now.getTime() + delayMs + jitterMs;

  const window = parseQuietHours(input.quietHours);
  if (!window) return new Date(candidate);
  const end = quietWindowEnd(candidate, window, input.timeZone);
  // One move only: a quiet window that leaves less than `jitter` free per day could otherwise loop.
  return end === undefined ? new Date(candidate) : new Date(end + jitterMs);
}

/**
 * When `now` lies inside the quiet window `spec` ("HH:MM-HH:MM" in `timeZone`, "" for none), the
 * instant that window ends; undefined outside it. The publisher asks this before every claim.
 */
export function quietHoursEnd(now: Date, spec: string, timeZone: string): Date | undefined {
  const window = parseQuietHours(spec);
  if (!window) return undefined;
  const end = quietWindowEnd(now.getTime(), window, timeZone);
  return end === undefined ? undefined : new Date(end);
}

/** The instant the quiet window containing `instant` ends, or undefined when `instant` is outside it. */
function quietWindowEnd(instant: number, window: QuietWindow, timeZone: string): number | undefined {
  const wall = wallClock(instant, timeZone);
  const minute = wall.hour * 60 + wall.minute;
  const { startMinute: start, endMinute: end } = window;
  let dayOffset: number;
  if (start < end) {
    if (minute < start || minute >= end) return undefined;
    dayOffset = 0;
  } else if (minute >= start) {
    dayOffset = 1; // wraps midnight: the window ends tomorrow morning
  } else if (minute < end) {
    dayOffset = 0;
  } else {
    return undefined;
  }
  return wallClockToInstant({ ...wall, day: wall.day + dayOffset }, end, timeZone, instant);
}

/** The instant the local calendar day of `at` began in `timeZone` (the lower bound of "today"). */
export function localDayStart(at: Date, timeZone: string): Date {
  const wall = wallClock(at.getTime(), timeZone);
  return new Date(wallClockToInstant(wall, 0, timeZone));
}

/** Minutes `timeZone` is ahead of UTC at `instant` (negative west of Greenwich). */
function offsetMinutes(instant: number, timeZone: string): number {
  const wall = wallClock(instant, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const wholeSeconds = Math.floor(instant / 1000) * 1000;
  return Math.round((asUtc - wholeSeconds) / MINUTE_MS);
}

/**
 * The earliest instant not before `notBefore` at which the local date is `wall`'s and the clock
 * reads `minuteOfDay`. A time that occurs twice (autumn) resolves to the first occurrence after
 * `notBefore`; a time skipped by a spring change resolves to the end of the gap, the first
 * instant whose wall clock is past it.
 */
function wallClockToInstant(
  wall: Pick<WallClock, "year" | "month" | "day">,
  minuteOfDay: number,
  timeZone: string,
  notBefore = Number.NEGATIVE_INFINITY,
): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, 0, minuteOfDay);
  // Zones change offset at most once in any two days, so the offsets a day either side cover it.
  const before = offsetMinutes(asUtc - DAY_MINUTES * MINUTE_MS, timeZone);
  const after = offsetMinutes(asUtc + DAY_MINUTES * MINUTE_MS, timeZone);
  const valid = [...new Set([before, after])]
    .map((offset) => asUtc - offset * MINUTE_MS)
    .filter((instant) => offsetMinutes(instant, timeZone) === Math.round((asUtc - instant) / MINUTE_MS))
    .sort((a, b) => a - b);
  const chosen = valid.find((instant) => instant >= notBefore) ?? valid.at(-1);
  if (chosen !== undefined) return chosen;
  return transitionBetween(asUtc - after * MINUTE_MS, asUtc - before * MINUTE_MS, timeZone);
}

/** The first instant in (low, high] whose offset differs from the offset at `low` (to the second). */
function transitionBetween(low: number, high: number, timeZone: string): number {
  const initial = offsetMinutes(low, timeZone);
  let lo = low;
  let hi = high;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetMinutes(mid, timeZone) === initial) lo = mid;
    else hi = mid;
  }
  return hi;
}
