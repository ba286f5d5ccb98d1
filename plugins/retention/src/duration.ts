// Durations as restic writes them for --keep-within: `30d`, `1y6m`, `2w`, `12h`, combined.
// Years and months are calendar units (subtracted on the calendar, not as fixed seconds).

export interface Duration {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
}

const UNIT = /(\d+)([ymwdh])/gy;

export function parseDuration(text: string): Duration {
  const trimmed = text.trim();
  if (!/^(\d+[ymwdh])+$/.test(trimmed)) {
    throw new RangeError(
      `"${text}" is not a duration: write a number and a unit, combined as needed, e.g. 30d, 2w, 6m, 1y6m, 12h (y years, m months, w weeks, d days, h hours)`,
    );
  }
  const duration = { years: 0, months: 0, days: 0, hours: 0 };
  UNIT.lastIndex = 0;
  for (let match = UNIT.exec(trimmed); match; match = UNIT.exec(trimmed)) {
    const value = Number(match[1]);
    switch (match[2]) {
      case 'y':
        duration.years += value;
        break;
      case 'm':
        duration.months += value;
        break;
      case 'w':
        duration.days += 7 * value;
        break;
      case 'd':
        duration.days += value;
        break;
      case 'h':
        duration.hours += value;
        break;
    }
  }
  return duration;
}

/** The instant `duration` before `from` (calendar arithmetic in UTC for years, months, days). */
export function subtractDuration(from: Date, duration: Duration): Date {
  const result = new Date(from.getTime());
  result.setUTCFullYear(result.getUTCFullYear() - duration.years, result.getUTCMonth() - duration.months, result.getUTCDate() - duration.days);
  result.setUTCHours(result.getUTCHours() - duration.hours);
  return result;
}

export function formatDuration(duration: Duration): string {
  const parts = [
    [duration.years, 'y'],
    [duration.months, 'm'],
    [duration.days, 'd'],
    [duration.hours, 'h'],
  ] as const;
  return (
    parts
      .filter(([value]) => value > 0)
      .map(([value, unit]) => `${value}${unit}`)
      .join('') || '0h'
  );
}
