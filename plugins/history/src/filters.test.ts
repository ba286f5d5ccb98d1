import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './entry.ts';
import { applyFilter, parseWhen } from './filters.ts';

const entry = (vm: string, status: HistoryEntry['status'], startedAt: string): HistoryEntry => ({
  version: 1,
  id: `${vm}-${startedAt}`,
  vm,
  status,
  format: 'ova',
  startedAt,
  finishedAt: startedAt,
  durationMs: 1000,
  bytesRead: 10,
  bytesStored: 10,
  files: [],
  locations: [],
  warnings: 0,
});

describe('parseWhen', () => {
  const now = new Date('2026-05-10T12:00:00Z');

  it('reads ages before now', () => {
    expect(parseWhen('7d', '--since', now).toISOString()).toBe('2026-05-03T12:00:00.000Z');
    expect(parseWhen('12h', '--since', now).toISOString()).toBe('2026-05-10T00:00:00.000Z');
    expect(parseWhen('30m', '--since', now).toISOString()).toBe('2026-05-10T11:30:00.000Z');
    expect(parseWhen('2w', '--since', now).toISOString()).toBe('2026-04-26T12:00:00.000Z');
  });

  it('reads ISO dates (a bare --until date includes its whole day) and date-times', () => {
    expect(parseWhen('2026-05-01', '--since')).toEqual(new Date(2026, 4, 1));
    expect(parseWhen('2026-05-01', '--until')).toEqual(new Date(2026, 4, 2));
    expect(parseWhen('2026-05-01T14:30:00Z', '--since').toISOString()).toBe('2026-05-01T14:30:00.000Z');
  });

  it('refuses what is neither, as a usage error', () => {
    for (const bad of ['yesterday', '2026-02-30', '7 days', '']) {
      expect(() => parseWhen(bad, '--since', now)).toThrow(expect.objectContaining({ name: 'ConfigError', code: 'CONFIG' }) as Error);
    }
  });
});

describe('applyFilter', () => {
  const entries = [
    entry('web01', 'succeeded', '2026-05-01T10:00:00Z'),
    entry('web010', 'failed', '2026-05-02T10:00:00Z'),
    entry('DB01', 'cancelled', '2026-05-03T10:00:00Z'),
  ];

  it('matches part of the VM name in any case, or exactly with =NAME', () => {
    expect(applyFilter(entries, { vm: 'WEB' }).map((e) => e.vm)).toEqual(['web01', 'web010']);
    expect(applyFilter(entries, { vm: '=web01' }).map((e) => e.vm)).toEqual(['web01']);
  });

  it('filters by status and by the time the export started', () => {
    expect(applyFilter(entries, { status: 'failed' }).map((e) => e.vm)).toEqual(['web010']);
    expect(applyFilter(entries, { since: new Date('2026-05-02T00:00:00Z'), until: new Date('2026-05-03T00:00:00Z') }).map((e) => e.vm)).toEqual(['web010']);
  });
});
