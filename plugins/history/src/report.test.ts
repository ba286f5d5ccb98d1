import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './entry.ts';
import { buildReport, formatFromFileName, renderReport } from './report.ts';

const entry = (vm: string, status: HistoryEntry['status'], finishedAt: string, durationMs = 2000, bytes = 2048): HistoryEntry => ({
  version: 1,
  id: `${vm}-${finishedAt}`,
  vm,
  status,
  format: 'ova',
  startedAt: finishedAt,
  finishedAt,
  durationMs,
  bytesRead: status === 'succeeded' ? bytes : 0,
  bytesStored: status === 'succeeded' ? bytes : 0,
  files: [],
  locations: [],
  warnings: 0,
});

describe('buildReport', () => {
  const entries = [
    entry('web01', 'succeeded', '2026-05-01T10:00:00.000Z', 2000, 4096),
    entry('web01', 'failed', '2026-05-02T10:00:00.000Z'),
    entry('db|01', 'succeeded', '2026-05-03T10:00:00.000Z', 6000, 8192),
    entry('db|01', 'cancelled', '2026-05-04T10:00:00.000Z'),
  ];

  it('computes the rate, totals, averages and a per-VM summary', () => {
    const report = buildReport(entries, { since: '7d' }, new Date('2026-05-05T00:00:00Z'));
    expect(report).toMatchObject({
      exports: 4,
      succeeded: 2,
      failed: 1,
      cancelled: 1,
      successRate: 0.5,
      bytesRead: 12_288,
      bytesStored: 12_288,
      averageDurationMs: 4000,
      averageBytesPerSecond: 1536,
      from: '2026-05-01T10:00:00.000Z',
      to: '2026-05-04T10:00:00.000Z',
    });
    expect(report.vms).toEqual([
      {
        vm: 'db|01',
        exports: 2,
        succeeded: 1,
        failures: 1,
        lastStatus: 'cancelled',
        lastFinishedAt: '2026-05-04T10:00:00.000Z',
        lastSuccessAt: '2026-05-03T10:00:00.000Z',
      },
      {
        vm: 'web01',
        exports: 2,
        succeeded: 1,
        failures: 1,
        lastStatus: 'failed',
        lastFinishedAt: '2026-05-02T10:00:00.000Z',
        lastSuccessAt: '2026-05-01T10:00:00.000Z',
      },
    ]);
  });

  it('renders Markdown tables with escaped cells, text, and JSON', () => {
    const report = buildReport(entries);
    const markdown = renderReport(report, 'markdown');
    expect(markdown).toContain('| Success rate | 50% (2 of 4) |');
    expect(markdown).toContain('| db\\|01 | 2 | 1 | 1 | cancelled |');
    expect(renderReport(report, 'text')).toMatch(/Success rate:\s+50% \(2 of 4\)/);
    expect(JSON.parse(renderReport(report, 'json'))).toMatchObject({ successRate: 0.5, exports: 4 });
  });

  it('copes with no exports at all', () => {
    const report = buildReport([]);
    expect(report).toMatchObject({ exports: 0, successRate: null, averageDurationMs: null, averageBytesPerSecond: null, vms: [] });
    expect(renderReport(report, 'markdown')).toContain('No exports.');
    expect(renderReport(report, 'text')).toMatch(/Success rate:\s+-/);
  });

  it('chooses the format by file extension', () => {
    expect(formatFromFileName('r.md')).toBe('markdown');
    expect(formatFromFileName('R.JSON')).toBe('json');
    expect(formatFromFileName('r.txt')).toBe('text');
  });
});
