// A weekly timetable of rates, as rclone's --bwlimit has: each entry starts at a weekday and
// minute (local time) and holds until the next one; the last entry of the week wraps around to
// the first. A plain rate is a timetable of one entry.

export const OFF = Infinity;

export interface TimetableEntry {
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
  /** Minutes after midnight. */
  readonly minute: number;
  /** Bytes per second; OFF (Infinity) for no limit. */
  readonly bytesPerSecond: number;
}

/** The rate at a moment, and until when it holds (epoch ms; Infinity: for ever). */
export interface CurrentRate {
  readonly bytesPerSecond: number;
  readonly until: number;
}

const MINUTES_PER_DAY = 24 * 60;

export class Timetable {
  /** Sorted by time of week; at most one entry per time of week. */
  readonly entries: readonly TimetableEntry[];

  constructor(entries: readonly TimetableEntry[]) {
    if (entries.length === 0) throw new Error('a timetable needs at least one entry');
    // A later entry for the same time of week replaces an earlier one.
    const byTime = new Map<number, TimetableEntry>();
    for (const entry of entries) byTime.set(weekMinute(entry), entry);
    this.entries = [...byTime.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
  }

  static constant(bytesPerSecond: number): Timetable {
    return new Timetable([{ weekday: 0, minute: 0, bytesPerSecond }]);
  }

  /** True when no entry limits anything: the throttle is not needed at all. */
  get alwaysOff(): boolean {
    return this.entries.every((entry) => entry.bytesPerSecond === OFF);
  }

  rateAt(epochMs: number): CurrentRate {
    if (this.entries.length === 1) return { bytesPerSecond: this.entries[0]!.bytesPerSecond, until: Infinity };
    const date = new Date(epochMs);
    const now = date.getDay() * MINUTES_PER_DAY + date.getHours() * 60 + date.getMinutes();
    // The latest entry at or before now; before the week's first entry, the week's last one.
    let current = this.entries.length - 1;
    for (let index = 0; index < this.entries.length; index++) if (weekMinute(this.entries[index]!) <= now) current = index;
    const next = this.entries[(current + 1) % this.entries.length]!;
    return { bytesPerSecond: this.entries[current]!.bytesPerSecond, until: nextOccurrence(date, next) };
  }
}

function weekMinute(entry: Pick<TimetableEntry, 'weekday' | 'minute'>): number {
  return entry.weekday * MINUTES_PER_DAY + entry.minute;
}

/** The first moment after `date` at the entry's weekday and minute, in local time (DST-proof). */
function nextOccurrence(date: Date, entry: TimetableEntry): number {
  let days = (entry.weekday - date.getDay() + 7) % 7;
  const candidate = (offset: number) =>
    new Date(date.getFullYear(), date.getMonth(), date.getDate() + offset, Math.floor(entry.minute / 60), entry.minute % 60).getTime();
  if (candidate(days) <= date.getTime()) days += 7;
  return candidate(days);
}
