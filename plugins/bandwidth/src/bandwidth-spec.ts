// rclone's --bwlimit syntax: a rate (`10M`, `512k`, `1.5M`, `off`) or a timetable of
// `[WEEKDAY-]HH:MM,RATE` entries separated by spaces or semicolons
// (`"08:00,512k 19:00,off"`, `"Mon-08:00,512k Sat-00:00,off"`). Units are rclone's: binary,
// and a plain number is KiB/s (`B` for bytes/s).
import { brandError, ConfigError } from '@hyperexport/core';
import { OFF, Timetable } from './timetable.ts';
import type { TimetableEntry } from './timetable.ts';

export const SPEC_EXAMPLES =
  'e.g. 10M, 512k, 1.5M, off, "08:00,512k 19:00,off" or "Mon-08:00,512k Sat-00:00,off" (k = KiB/s, M = MiB/s, G = GiB/s; a plain number is KiB/s; add B for bytes/s, e.g. 500000B)';

/** A syntax error at a 0-based position of the spec. */
class SpecError extends Error {
  static {
    brandError(this, 'hyperexport.bandwidth.SpecError');
  }

  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.position = position;
  }
}

const UNITS: Readonly<Record<string, number>> = { '': 1024, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/**
 * Parses a --bwlimit value. Throws a ConfigError that says where in the value the problem is
 * and gives examples. `what` names the setting in the message (e.g. `per-stream limit`).
 */
export function parseBandwidthSpec(spec: string, what = 'bandwidth limit'): Timetable {
  try {
    return parseTimetable(spec);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    throw new ConfigError(`bad ${what} "${spec}": at character ${error.position + 1}, ${error.message}`, { hint: SPEC_EXAMPLES });
  }
}

function parseTimetable(spec: string): Timetable {
  const tokens = [...spec.matchAll(/[^\s;]+/g)].map((match) => ({ text: match[0], at: match.index }));
  if (tokens.length === 0) throw new SpecError('expected a rate or a timetable, got nothing', 0);
  const only = tokens[0]!;
  if (tokens.length === 1 && !only.text.includes(',')) return Timetable.constant(parseRate(only.text, only.at));
  return new Timetable(tokens.flatMap(({ text, at }) => parseEntry(text, at)));
}

/** `[WEEKDAY-]HH:MM,RATE`; without a weekday, the entry holds for every day. */
function parseEntry(text: string, at: number): TimetableEntry[] {
  const comma = text.indexOf(',');
  if (comma < 0) throw new SpecError(`"${text}" is not a timetable entry: expected [WEEKDAY-]HH:MM,RATE such as 08:00,512k or Mon-08:00,512k`, at);
  const when = text.slice(0, comma);
  const dash = when.indexOf('-');
  const weekday = dash < 0 ? undefined : parseWeekday(when.slice(0, dash), at);
  const timeAt = dash < 0 ? at : at + dash + 1;
  const minute = parseTime(when.slice(dash + 1), timeAt);
  const bytesPerSecond = parseRate(text.slice(comma + 1), at + comma + 1);
  const days = weekday === undefined ? [0, 1, 2, 3, 4, 5, 6] : [weekday];
  return days.map((day) => ({ weekday: day, minute, bytesPerSecond }));
}

function parseWeekday(text: string, at: number): number {
  const lower = text.toLowerCase();
  const day = Math.max(WEEKDAYS.indexOf(lower), WEEKDAY_NAMES.indexOf(lower));
  if (day < 0) throw new SpecError(`"${text}" is not a weekday: use Mon, Tue, Wed, Thu, Fri, Sat or Sun`, at);
  return day;
}

function parseTime(text: string, at: number): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  if (!match || hours > 23 || minutes > 59) throw new SpecError(`"${text}" is not a time of day: use HH:MM from 00:00 to 23:59`, at);
  return hours * 60 + minutes;
}

/** A rate in bytes per second, or OFF. `0` is off too, as in rclone. */
function parseRate(text: string, at: number): number {
  if (text.toLowerCase() === 'off') return OFF;
  if (/^\d{1,2}:\d{2}$/.test(text)) throw new SpecError(`"${text}" is a time without a rate: write HH:MM,RATE such as ${text},512k`, at);
  if (text.includes(':')) throw new SpecError(`"${text}": upload:download pairs are not supported (an export moves data one way); give one rate`, at);
  const match = /^(\d+(?:\.\d*)?|\.\d+)(?:([kmgtp])i?)?(b)?$/i.exec(text);
  if (!match) throw new SpecError(`"${text}" is not a rate`, at);
  const [, number, unit, bytes] = match;
  // rclone: a plain number is KiB; `B` alone means bytes; `k`, `M`, `G` (with an optional i or B) are binary.
  const multiplier = unit === undefined && bytes !== undefined ? 1 : UNITS[(unit ?? '').toLowerCase()]!;
  const value = Number(number) * multiplier;
  return value === 0 ? OFF : value;
}

/** `2 MiB/s`, `512 KiB/s`, `300 B/s` or `off`, for messages. */
export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond === OFF) return 'off';
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytesPerSecond >= size) return `${Number((bytesPerSecond / size).toFixed(2))} ${unit}/s`;
  }
  return `${Number(bytesPerSecond.toFixed(2))} B/s`;
}
