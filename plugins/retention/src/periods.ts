// Calendar periods in a given time zone, the buckets grandfather-father-son rotation counts in.
// Computed from the wall-clock parts Intl gives for the zone, so a DST change never splits or
// merges a day, and weeks are ISO 8601 weeks (Monday first; week 1 holds the year's first Thursday).

export type PeriodUnit = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

export const PERIOD_UNITS: readonly PeriodUnit[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(instant: Date, timeZone: string): WallClock {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour) };
}

/** ISO 8601 week-numbering year and week of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7; // Monday 1 … Sunday 7
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const weekYear = date.getUTCFullYear();
  const firstDay = Date.UTC(weekYear, 0, 1);
  return { year: weekYear, week: Math.floor((date.getTime() - firstDay) / 86_400_000 / 7) + 1 };
}

/** A key that is equal for two instants exactly when they fall in the same period of the zone. */
export function periodKey(instant: Date, unit: PeriodUnit, timeZone: string): string {
  const { year, month, day, hour } = wallClock(instant, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  switch (unit) {
    case 'hourly':
      return `${year}-${two(month)}-${two(day)} ${two(hour)}h`;
    case 'daily':
      return `${year}-${two(month)}-${two(day)}`;
    case 'weekly': {
      const week = isoWeek(year, month, day);
      return `${week.year}-W${two(week.week)}`;
    }
    case 'monthly':
      return `${year}-${two(month)}`;
    case 'yearly':
      return `${year}`;
  }
}

/** Throws a clear error for a zone name Intl does not know. */
export function checkTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone;
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}" (use an IANA name such as Europe/Berlin or UTC)`);
  }
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
