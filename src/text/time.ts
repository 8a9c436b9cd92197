/**
 * Every time shown to a person, on the admins' wall clock (`BOT_TIMEZONE`), each followed by the zone name in
 * parentheses so nobody has to guess it: "14:05 (Europe/Berlin)". Machine-facing values (HTTP JSON, SQL, logs)
 * stay ISO 8601 in UTC and do not come through here. One `Intl.DateTimeFormat` per zone, cached: building one
 * costs far more than formatting with it.
 */

/** A wall-clock reading in a time zone. */
export interface WallClock {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** Day of the month; may overflow (32 = the 1st of next month) when used to build an instant. */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** "Mon" … "Sun". */
  readonly weekday: string;
  /** "Jan" … "Dec". */
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
export function wallClock(instant: number, timeZone: string): WallClock {
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

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

const sameDay = (a: WallClock, b: WallClock): boolean => a.year === b.year && a.month === b.month && a.day === b.day;

/** "14:05 (Europe/Berlin)" on the local day of `now`, else "Tue 24 Nov 14:05 (Europe/Berlin)": cards, queue, DLQ. */
export function formatLocalTime(at: Date, timeZone: string, now: Date = new Date()): string {
  const wall = wallClock(at.getTime(), timeZone);
  const time = `${pad(wall.hour)}:${pad(wall.minute)} (${timeZone})`;
  if (sameDay(wall, wallClock(now.getTime(), timeZone))) return time;
  return `${wall.weekday} ${wall.day} ${wall.monthName} ${time}`;
}

/** "14:05:09 (Europe/Berlin)", with "Tue 24 Nov " before it off the local day of `now`: /health, /breaker. */
export function formatLocalClock(at: Date, timeZone: string, now: Date = new Date()): string {
  const wall = wallClock(at.getTime(), timeZone);
  const time = `${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)} (${timeZone})`;
  if (sameDay(wall, wallClock(now.getTime(), timeZone))) return time;
  return `${wall.weekday} ${wall.day} ${wall.monthName} ${time}`;
}

/** "2025-07-01 14:00:05 (Europe/Berlin)": a full timestamp with the seconds, for alerts. */
export function formatTimestamp(at: Date, timeZone: string): string {
  const wall = wallClock(at.getTime(), timeZone);
  const date = `${wall.year}-${pad(wall.month)}-${pad(wall.day)}`;
  return `${date} ${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)} (${timeZone})`;
}

/** "3 Mar 2025, 14:05 (Europe/Berlin)": a date that may lie far back, with the year (the pause switch). */
export function formatDateTime(at: Date, timeZone: string): string {
  const wall = wallClock(at.getTime(), timeZone);
  return `${wall.day} ${wall.monthName} ${wall.year}, ${pad(wall.hour)}:${pad(wall.minute)} (${timeZone})`;
}

/** "Mon 24 Nov": the local calendar day of `at`, without the zone (the caller names it once per message). */
export function formatDay(at: Date, timeZone: string): string {
  const wall = wallClock(at.getTime(), timeZone);
  return `${wall.weekday} ${wall.day} ${wall.monthName}`;
}

/** "3d 4h", "2h 5m" or "5m 12s": how long something has been running (the uptime on /health and the dashboard). */
export function formatUptime(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  return days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes}m` : `${minutes}m ${seconds % 60}s`;
}
