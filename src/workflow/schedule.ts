/**
 * When an approved reply goes out, and how instants read on the admins' wall clock.
 *
 * Pure functions over `Date` and `Intl`: no I/O, no clock of their own (callers pass `now`), so the
 * maths is testable with fixed instants. Every wall-clock question goes through the IANA zone
 * data of `Intl`, which keeps DST changes and non-hour offsets (Asia/Kolkata, +05:30) right.
 */

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

/**
 * Formats an instant for admins: "14:05 (Europe/Berlin)" when it falls on the same local day as
 * `now`, else "Tue 24 Nov 14:05 (Europe/Berlin)".
 */
export function formatLocalTime(at: Date, timeZone: string, now: Date = new Date()): string {
  const wall = wallClock(at.getTime(), timeZone);
  const today = wallClock(now.getTime(), timeZone);
  const time = `${pad(wall.hour)}:${pad(wall.minute)} (${timeZone})`;
  if (wall.year === today.year && wall.month === today.month && wall.day === today.day) return time;
  return `${wall.weekday} ${wall.day} ${wall.monthName} ${time}`;
}

/** The instant the local calendar day of `at` began in `timeZone` (the lower bound of "today"). */
export function localDayStart(at: Date, timeZone: string): Date {
  const wall = wallClock(at.getTime(), timeZone);
  return new Date(wallClockToInstant(wall, 0, timeZone));
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

interface WallClock {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** Day of the month; may overflow (32 = the 1st of next month) when passed to {@link wallClockToInstant}. */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: string;
  readonly monthName: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The wall clock in `timeZone` at `instant` (milliseconds since the epoch). */
function wallClock(instant: number, timeZone: string): WallClock {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  const month = Number(parts.month);
  return {
    year: Number(parts.year),
    month,
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: parts.weekday ?? "",
    monthName: MONTHS[month - 1] ?? "",
  };
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
