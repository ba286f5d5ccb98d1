// The filters `history` and `report` share: VM name, status and a time window.
import { ConfigError } from '@hyperexport/core';
import type { JobStatus } from '@hyperexport/core';
import type { HistoryEntry } from './entry.ts';

export interface HistoryFilter {
  /** Substring of the VM name, any case; `=NAME` for exactly NAME. */
  vm?: string | undefined;
  status?: JobStatus | undefined;
  /** Exports started at or after this time. */
  since?: Date | undefined;
  /** Exports started before this time. */
  until?: Date | undefined;
}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * A point in time from `--since` / `--until`: an ISO date or date-time, or an age such as `7d`,
 * `12h`, `30m`, `2w` (that long before `now`). A bare date is local midnight; as an upper bound
 * it includes that whole day.
 */
export function parseWhen(value: string, option: '--since' | '--until', now: Date = new Date()): Date {
  const text = value.trim();
  const age = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text);
  if (age) return new Date(now.getTime() - Number(age[1]) * UNIT_MS[age[2]!.toLowerCase()]!);
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]) - 1, Number(day[3])];
    const midnight = new Date(year, month, date);
    // Reject dates that do not exist (2026-02-30 would silently become March 2nd).
    if (midnight.getFullYear() === year && midnight.getMonth() === month && midnight.getDate() === date) {
      return option === '--until' ? new Date(year, month, date + 1) : midnight;
    }
  } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) {
    const date = new Date(text.replace(' ', 'T'));
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ConfigError(`${option} ${JSON.stringify(value)} is neither a date nor an age`, {
    hint: 'give an ISO date or date-time (2026-05-01, 2026-05-01T14:30, 2026-05-01T14:30:00Z) or an age (45m, 12h, 7d, 2w)',
  });
}

export function matchesFilter(entry: HistoryEntry, filter: HistoryFilter): boolean {
  if (filter.status && entry.status !== filter.status) return false;
  if (filter.vm) {
    const wanted = filter.vm;
    if (wanted.startsWith('=')) {
      if (entry.vm !== wanted.slice(1)) return false;
    } else if (!entry.vm.toLowerCase().includes(wanted.toLowerCase())) return false;
  }
  const started = Date.parse(entry.startedAt);
  if (filter.since && started < filter.since.getTime()) return false;
  if (filter.until && started >= filter.until.getTime()) return false;
  return true;
}

export function applyFilter(entries: readonly HistoryEntry[], filter: HistoryFilter): HistoryEntry[] {
  return entries.filter((entry) => matchesFilter(entry, filter));
}
