// Which exports a retention policy keeps, with restic's `forget` semantics:
//   - exports are considered newest first;
//   - keepLast N keeps the N newest;
//   - keepHourly/Daily/Weekly/Monthly/Yearly N keep the newest export of each of the N most
//     recent periods THAT HAVE EXPORTS (a week without exports does not use up a weekly slot);
//   - a rule with slots left when it reaches the oldest export keeps that one too (restic 0.17:
//     the longest history while counts are left);
//   - keepWithin D keeps every export made after the instant D before the newest export (not
//     of now, as restic; strictly after, as restic's `Time.After`); the newest is the newest one
//     not made in the future, so a clock that ran ahead cannot shrink the window;
//   - keepTags keeps every export with one of the tags;
//   - rules combine by OR, and each kept export lists every rule that keeps it.
// A count of -1 means unlimited, as in restic.
import type { Duration } from './duration.ts';
import { formatDuration, subtractDuration } from './duration.ts';
import { PERIOD_UNITS, periodKey } from './periods.ts';
import type { PeriodUnit } from './periods.ts';

export interface RetentionPolicy {
  readonly keepLast?: number | undefined;
  readonly keepHourly?: number | undefined;
  readonly keepDaily?: number | undefined;
  readonly keepWeekly?: number | undefined;
  readonly keepMonthly?: number | undefined;
  readonly keepYearly?: number | undefined;
  readonly keepWithin?: Duration | undefined;
  readonly keepTags?: readonly string[] | undefined;
}

export interface Candidate {
  /** Stable identity, used to break ties between exports made at the same instant. */
  readonly id: string;
  readonly createdAt: Date;
  readonly tags: readonly string[];
}

export interface Decision<T extends Candidate> {
  readonly item: T;
  readonly keep: boolean;
  /** Why it is kept (e.g. `daily 2026-11-24`, `last 3`); empty when it goes. */
  readonly reasons: readonly string[];
}

const RULE_OF: Readonly<Record<PeriodUnit, keyof RetentionPolicy>> = {
  hourly: 'keepHourly',
  daily: 'keepDaily',
  weekly: 'keepWeekly',
  monthly: 'keepMonthly',
  yearly: 'keepYearly',
};

/** No rule that keeps anything: restic then removes nothing, and so do we (a count of 0 is no rule). */
export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  const unset = (count: number | undefined) => count === undefined || count === 0;
  return (
    unset(policy.keepLast) &&
    policy.keepWithin === undefined &&
    (policy.keepTags?.length ?? 0) === 0 &&
    PERIOD_UNITS.every((unit) => unset(policy[RULE_OF[unit]] as number | undefined))
  );
}

/** Newest first; exports of the same instant by id, descending, so the result never depends on listing order. */
export function newestFirst<T extends Candidate>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export function applyPolicy<T extends Candidate>(items: readonly T[], policy: RetentionPolicy, timeZone: string, now: Date = new Date()): Decision<T>[] {
  const ordered = newestFirst(items);
  if (isEmptyPolicy(policy)) return ordered.map((item) => ({ item, keep: true, reasons: ['no rule given: everything is kept'] }));

  const buckets = PERIOD_UNITS.flatMap((unit) => {
    const count = policy[RULE_OF[unit]] as number | undefined;
    return count === undefined || count === 0 ? [] : [{ unit, remaining: count, last: undefined as string | undefined }];
  });
  let lastRemaining = policy.keepLast ?? 0;
  // Restic's latest snapshot: the newest that is not in the future. With none, every export is within.
  const newest = ordered.find((item) => item.createdAt.getTime() <= now.getTime())?.createdAt;
  const withinLimit = policy.keepWithin && (newest ? subtractDuration(newest, policy.keepWithin) : new Date(-8.64e15));

  return ordered.map((item, index) => {
    const reasons: string[] = [];
    const oldest = index === ordered.length - 1;
    if (lastRemaining !== 0) {
      reasons.push(`last ${index + 1}`);
      lastRemaining--;
    }
    for (const bucket of buckets) {
      if (bucket.remaining === 0) continue;
      const key = periodKey(item.createdAt, bucket.unit, timeZone);
      if (key === bucket.last) {
        if (oldest) reasons.push(`${bucket.unit} ${key}, the oldest export (${bucket.unit} slots left)`);
        continue;
      }
      bucket.last = key;
      bucket.remaining--;
      reasons.push(`${bucket.unit} ${key}`);
    }
    if (withinLimit && item.createdAt.getTime() > withinLimit.getTime()) reasons.push(`within ${formatDuration(policy.keepWithin!)} of the newest`);
    const tag = item.tags.find((candidate) => policy.keepTags?.includes(candidate));
    if (tag !== undefined) reasons.push(`tag ${tag}`);
    return { item, keep: reasons.length > 0, reasons };
  });
}
