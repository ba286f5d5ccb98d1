import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';
import { isoWeek, periodKey } from './periods.ts';
import { applyPolicy } from './policy.ts';
import type { Candidate, RetentionPolicy } from './policy.ts';

const at = (iso: string, tags: string[] = []): Candidate => ({ id: iso, createdAt: new Date(iso), tags });
const kept = (items: Candidate[], policy: RetentionPolicy, zone = 'UTC') =>
  applyPolicy(items, policy, zone)
    .filter((d) => d.keep)
    .map((d) => d.item.id);

describe('periods', () => {
  it('numbers ISO weeks across year boundaries', () => {
    expect(isoWeek(2025, 12, 31)).toEqual({ year: 2026, week: 1 }); // a Wednesday: its Thursday is in 2026
    expect(isoWeek(2021, 1, 3)).toEqual({ year: 2020, week: 53 }); // a Sunday still in 2020's last week
    expect(isoWeek(2026, 1, 4)).toEqual({ year: 2026, week: 1 }); // Sunday
    expect(isoWeek(2026, 1, 5)).toEqual({ year: 2026, week: 2 }); // Monday starts the next week
  });

  it('computes periods in the given zone', () => {
    const instant = new Date('2026-01-31T23:30:00Z');
    expect(periodKey(instant, 'monthly', 'UTC')).toBe('2026-01');
    expect(periodKey(instant, 'monthly', 'Europe/Berlin')).toBe('2026-02');
    expect(periodKey(instant, 'daily', 'America/New_York')).toBe('2026-01-31');
    expect(periodKey(new Date('2026-12-31T23:59:59Z'), 'yearly', 'Asia/Tokyo')).toBe('2027');
  });

  it('keeps a day whole across a DST change (Europe/Berlin, 2026-03-29 has 23 hours)', () => {
    const early = new Date('2026-03-28T23:30:00Z'); // 00:30 CET on the 29th
    const late = new Date('2026-03-29T21:30:00Z'); // 23:30 CEST on the 29th
    expect(periodKey(early, 'daily', 'Europe/Berlin')).toBe('2026-03-29');
    expect(periodKey(late, 'daily', 'Europe/Berlin')).toBe('2026-03-29');
    // 01:30 CET and 03:30 CEST are one real hour apart but different wall-clock hours.
    expect(periodKey(new Date('2026-03-29T00:30:00Z'), 'hourly', 'Europe/Berlin')).toBe('2026-03-29 01h');
    expect(periodKey(new Date('2026-03-29T01:30:00Z'), 'hourly', 'Europe/Berlin')).toBe('2026-03-29 03h');
  });
});

describe('applyPolicy (restic forget semantics)', () => {
  const timeline = [
    at('2026-11-25T22:00:00Z'),
    at('2026-11-25T08:00:00Z'),
    at('2026-11-24T08:00:00Z'),
    // no export on the 23rd and 22nd
    at('2026-11-21T08:00:00Z'),
    at('2026-11-14T08:00:00Z'),
    at('2026-10-31T08:00:00Z'),
    at('2026-09-30T08:00:00Z'),
    at('2025-12-31T08:00:00Z'),
  ];

  it('keepLast keeps the N newest', () => {
    expect(kept(timeline, { keepLast: 2 })).toEqual(['2026-11-25T22:00:00Z', '2026-11-25T08:00:00Z']);
  });

  it('keepDaily keeps the newest of each day that has exports; empty days do not use up a slot', () => {
    expect(kept(timeline, { keepDaily: 3 })).toEqual(['2026-11-25T22:00:00Z', '2026-11-24T08:00:00Z', '2026-11-21T08:00:00Z']);
  });

  it('keepWeekly counts ISO weeks (Monday first)', () => {
    // 2026-11-25 Wed, 11-24 Tue (week 48); 11-21 Sat (week 47); 11-14 Sat (week 46).
    expect(kept(timeline, { keepWeekly: 3 })).toEqual(['2026-11-25T22:00:00Z', '2026-11-21T08:00:00Z', '2026-11-14T08:00:00Z']);
  });

  it('keepMonthly and keepYearly keep the newest of each month and year', () => {
    expect(kept(timeline, { keepMonthly: 3 })).toEqual(['2026-11-25T22:00:00Z', '2026-10-31T08:00:00Z', '2026-09-30T08:00:00Z']);
    expect(kept(timeline, { keepYearly: 5 })).toEqual(['2026-11-25T22:00:00Z', '2025-12-31T08:00:00Z']);
  });

  it('computes month boundaries in the configured zone', () => {
    // 2026-10-31T23:30Z is already November in Berlin: it competes with the November exports.
    const items = [at('2026-11-02T08:00:00Z'), at('2026-10-31T23:30:00Z'), at('2026-10-30T08:00:00Z')];
    expect(kept(items, { keepMonthly: 2 }, 'UTC')).toEqual(['2026-11-02T08:00:00Z', '2026-10-31T23:30:00Z']);
    expect(kept(items, { keepMonthly: 2 }, 'Europe/Berlin')).toEqual(['2026-11-02T08:00:00Z', '2026-10-30T08:00:00Z']);
  });

  it('combines rules by OR and says which rules keep each export', () => {
    const decisions = applyPolicy(timeline, { keepLast: 1, keepDaily: 2, keepMonthly: 2 }, 'UTC');
    expect(decisions.find((d) => d.item.id === '2026-11-25T22:00:00Z')?.reasons).toEqual(['last 1', 'daily 2026-11-25', 'monthly 2026-11']);
    expect(decisions.find((d) => d.item.id === '2026-11-24T08:00:00Z')?.reasons).toEqual(['daily 2026-11-24']);
    expect(decisions.find((d) => d.item.id === '2026-10-31T08:00:00Z')?.reasons).toEqual(['monthly 2026-10']);
    expect(decisions.filter((d) => d.keep)).toHaveLength(3);
  });

  it('keepWithin is relative to the newest export, as in restic', () => {
    expect(kept(timeline, { keepWithin: parseDuration('2d') })).toEqual(['2026-11-25T22:00:00Z', '2026-11-25T08:00:00Z', '2026-11-24T08:00:00Z']);
    expect(kept(timeline, { keepWithin: parseDuration('1m') })).toEqual([
      '2026-11-25T22:00:00Z',
      '2026-11-25T08:00:00Z',
      '2026-11-24T08:00:00Z',
      '2026-11-21T08:00:00Z',
      '2026-11-14T08:00:00Z',
      '2026-10-31T08:00:00Z',
    ]);
  });

  it('keepTags keeps tagged exports whatever else applies', () => {
    const items = [at('2026-11-25T08:00:00Z'), at('2026-01-01T08:00:00Z', ['yearly-audit']), at('2025-06-01T08:00:00Z')];
    expect(kept(items, { keepLast: 1, keepTags: ['yearly-audit'] })).toEqual(['2026-11-25T08:00:00Z', '2026-01-01T08:00:00Z']);
  });

  it('-1 means unlimited', () => {
    expect(kept(timeline, { keepDaily: -1 })).toHaveLength(7);
  });

  it('breaks ties deterministically, whatever the listing order', () => {
    const a = { id: 'a', createdAt: new Date('2026-11-25T08:00:00Z'), tags: [] };
    const b = { id: 'b', createdAt: new Date('2026-11-25T08:00:00Z'), tags: [] };
    expect(kept([a, b], { keepLast: 1 })).toEqual(['b']);
    expect(kept([b, a], { keepLast: 1 })).toEqual(['b']);
    expect(kept([a, b], { keepDaily: 1 })).toEqual(['b']);
  });

  it('keeps everything when no rule is given, and counts of 0 are no rule (as restic)', () => {
    expect(applyPolicy(timeline, {}, 'UTC').every((d) => d.keep)).toBe(true);
    expect(applyPolicy(timeline, { keepLast: 0, keepDaily: 0 }, 'UTC').every((d) => d.keep)).toBe(true);
  });
});

describe('applyPolicy boundaries (restic forget, internal/restic/snapshot_policy.go)', () => {
  const NOW = new Date('2026-12-01T00:00:00Z');
  const keptAt = (items: Candidate[], policy: RetentionPolicy, zone = 'UTC') =>
    applyPolicy(items, policy, zone, NOW)
      .filter((d) => d.keep)
      .map((d) => d.item.id);

  it('keepWithin keeps an export strictly after newest - D: exactly D before the newest goes, 1 ms later stays', () => {
    const items = [at('2026-11-25T12:00:00.000Z'), at('2026-11-23T12:00:00.001Z'), at('2026-11-23T12:00:00.000Z'), at('2026-11-23T11:59:59.999Z')];
    expect(keptAt(items, { keepWithin: parseDuration('2d') })).toEqual(['2026-11-25T12:00:00.000Z', '2026-11-23T12:00:00.001Z']);
    expect(keptAt(items, { keepWithin: parseDuration('48h') })).toEqual(['2026-11-25T12:00:00.000Z', '2026-11-23T12:00:00.001Z']);
  });

  it("keepWithin subtracts months on the calendar as Go's AddDate does: March 31 less 1 month is March 3", () => {
    const items = [at('2026-03-31T12:00:00.000Z'), at('2026-03-03T12:00:00.001Z'), at('2026-03-03T12:00:00.000Z'), at('2026-02-28T12:00:00.000Z')];
    expect(keptAt(items, { keepWithin: parseDuration('1m') })).toEqual(['2026-03-31T12:00:00.000Z', '2026-03-03T12:00:00.001Z']);
  });

  it('keepWithin counts from the newest export that is not in the future', () => {
    const items = [at('2027-06-01T00:00:00Z'), at('2026-11-30T00:00:00Z'), at('2026-11-28T00:00:01Z'), at('2026-11-27T00:00:00Z')];
    // The export dated next year is within (it is after the limit) but does not move the window.
    expect(keptAt(items, { keepWithin: parseDuration('2d') })).toEqual(['2027-06-01T00:00:00Z', '2026-11-30T00:00:00Z', '2026-11-28T00:00:01Z']);
    // Only exports from the future: no newest to count from, every one is within (as restic).
    expect(keptAt([at('2027-06-01T00:00:00Z'), at('2027-01-01T00:00:00Z')], { keepWithin: parseDuration('1d') })).toEqual([
      '2027-06-01T00:00:00Z',
      '2027-01-01T00:00:00Z',
    ]);
  });

  it('keepLast N keeps exactly N: the Nth stays, the N+1th goes; N at or above the count keeps all', () => {
    const items = [at('2026-11-05T00:00:00Z'), at('2026-11-04T00:00:00Z'), at('2026-11-03T00:00:00Z'), at('2026-11-02T00:00:00Z')];
    expect(keptAt(items, { keepLast: 3 })).toEqual(['2026-11-05T00:00:00Z', '2026-11-04T00:00:00Z', '2026-11-03T00:00:00Z']);
    expect(keptAt(items, { keepLast: 4 })).toHaveLength(4);
    expect(keptAt(items, { keepLast: 5 })).toHaveLength(4);
    expect(keptAt(items, { keepLast: 1 })).toEqual(['2026-11-05T00:00:00Z']);
  });

  it.each([
    ['hourly', '2026-11-24T10:00:00.000Z', '2026-11-24T09:59:59.999Z'],
    ['daily', '2026-11-24T00:00:00.000Z', '2026-11-23T23:59:59.999Z'],
    // 2026-11-23 is a Monday: the ISO week starts there, Sunday belongs to the week before.
    ['weekly', '2026-11-23T00:00:00.000Z', '2026-11-22T23:59:59.999Z'],
    ['monthly', '2026-11-01T00:00:00.000Z', '2026-10-31T23:59:59.999Z'],
    ['yearly', '2026-01-01T00:00:00.000Z', '2025-12-31T23:59:59.999Z'],
  ] as const)('%s: the first instant of a period and the last of the one before are two periods, not one', (unit, first, last) => {
    const rule = ({ hourly: 'keepHourly', daily: 'keepDaily', weekly: 'keepWeekly', monthly: 'keepMonthly', yearly: 'keepYearly' } as const)[unit];
    // Two periods, the newer with two exports: 2 slots keep the newest of each; 1 slot only the newest.
    const newer = new Date(new Date(first).getTime() + 1).toISOString();
    const items = [at(newer), at(first), at(last), at(new Date(new Date(last).getTime() - 1).toISOString())];
    expect(keptAt(items, { [rule]: 2 })).toEqual([newer, last]);
    expect(applyPolicy(items, { [rule]: 2 }, 'UTC', NOW).find((d) => d.item.id === last)?.reasons).toEqual([
      `${unit} ${periodKey(new Date(last), unit, 'UTC')}`,
    ]);
    expect(keptAt(items, { [rule]: 1 })).toEqual([newer]);
  });

  it('a rule with slots left at the oldest export keeps it too (restic 0.17), saying why', () => {
    const items = [at('2026-11-25T20:00:00Z'), at('2026-11-24T20:00:00Z'), at('2026-11-24T08:00:00Z')];
    const decisions = applyPolicy(items, { keepDaily: 7 }, 'UTC', NOW);
    expect(decisions.filter((d) => d.keep).map((d) => d.item.id)).toEqual(['2026-11-25T20:00:00Z', '2026-11-24T20:00:00Z', '2026-11-24T08:00:00Z']);
    expect(decisions.at(-1)?.reasons).toEqual(['daily 2026-11-24, the oldest export (daily slots left)']);
    // No slot left when the oldest comes: it goes.
    expect(keptAt(items, { keepDaily: 2 })).toEqual(['2026-11-25T20:00:00Z', '2026-11-24T20:00:00Z']);
    // Unlimited (-1) has slots left by definition.
    expect(keptAt(items, { keepDaily: -1 })).toHaveLength(3);
  });
});

describe('parseDuration', () => {
  it('reads combined units', () => {
    expect(parseDuration('1y6m2w3d12h')).toEqual({ years: 1, months: 6, days: 17, hours: 12 });
  });
  it('refuses anything else with examples', () => {
    expect(() => parseDuration('30 days')).toThrow(/e\.g\. 30d/);
    expect(() => parseDuration('')).toThrow(RangeError);
  });
});

describe('applyPolicy: reasons, order and rules on their own (mutation testing)', () => {
  const now = new Date('2026-11-25T12:00:00Z');

  it('without any rule keeps everything and says so', () => {
    const decisions = applyPolicy([at('2026-11-20T00:00:00Z'), at('2026-11-21T00:00:00Z')], { keepLast: 0 }, 'UTC', now);
    expect(decisions.map((d) => [d.keep, d.reasons])).toEqual([
      [true, ['no rule given: everything is kept']],
      [true, ['no rule given: everything is kept']],
    ]);
  });

  it('keepTags alone is a rule: only the tagged exports are kept, each saying which tag', () => {
    const decisions = applyPolicy([at('2026-11-20T00:00:00Z', ['monthly']), at('2026-11-21T00:00:00Z', ['daily'])], { keepTags: ['monthly'] }, 'UTC', now);
    expect(decisions.map((d) => [d.item.id, d.keep, d.reasons])).toEqual([
      ['2026-11-21T00:00:00Z', false, []],
      ['2026-11-20T00:00:00Z', true, ['tag monthly']],
    ]);
  });

  it('tagged exports under a policy without keepTags are judged by the other rules', () => {
    expect(kept([at('2026-11-20T00:00:00Z', ['monthly']), at('2026-11-21T00:00:00Z', ['daily'])], { keepLast: 1 })).toEqual(['2026-11-21T00:00:00Z']);
  });

  it('orders exports of the same instant by id, descending, whatever the listing order', () => {
    const a = { id: 'a', createdAt: new Date('2026-11-20T00:00:00Z'), tags: [] };
    const b = { id: 'b', createdAt: new Date('2026-11-20T00:00:00Z'), tags: [] };
    for (const listing of [
      [a, b],
      [b, a],
    ]) {
      expect(applyPolicy(listing, { keepLast: 1 }, 'UTC', now).map((d) => [d.item.id, d.keep])).toEqual([
        ['b', true],
        ['a', false],
      ]);
    }
  });

  it('an export made at this very instant is the newest keepWithin counts from, and says why it is kept', () => {
    const items = [at(now.toISOString()), at('2026-11-25T10:45:00Z'), at('2026-11-25T11:30:00Z')];
    const decisions = applyPolicy(items, { keepWithin: parseDuration('1h') }, 'UTC', now);
    expect(decisions.map((d) => [d.item.id, d.reasons])).toEqual([
      [now.toISOString(), ['within 1h of the newest']],
      ['2026-11-25T11:30:00Z', ['within 1h of the newest']],
      ['2026-11-25T10:45:00Z', []],
    ]);
  });
});
