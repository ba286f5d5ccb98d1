// targetProgress: at most one event per interval while bytes flow, and always the last count.
import { EventBus } from '@hyperexport/core';
import { describe, expect, it } from 'vitest';
import { targetProgress } from './target-progress.ts';

describe('targetProgress', () => {
  it('throttles a backend that reports every chunk, and ends on the final count', () => {
    const bus = new EventBus();
    const seen: number[] = [];
    bus.on('target:progress', (event) => seen.push(event.bytes));
    const progress = targetProgress(bus, { jobId: 'job', target: 'file:///t', name: 'disk.vmdk', total: undefined });
    for (let chunk = 1; chunk <= 10_000; chunk++) progress.report(chunk * 65_536);
    progress.finish();
    // Thousands of reports in a few milliseconds: the first, then the last.
    expect(seen.length).toBeLessThan(5);
    expect(seen.at(-1)).toBe(10_000 * 65_536);
    progress.finish();
    expect(seen.at(-1)).toBe(10_000 * 65_536);
  });

  it('sends the count that reaches a known total at once', () => {
    const bus = new EventBus();
    const seen: number[] = [];
    bus.on('target:progress', (event) => seen.push(event.bytes));
    const progress = targetProgress(bus, { jobId: 'job', target: 'file:///t', name: 'disk.vmdk', total: 300 });
    progress.report(100);
    progress.report(200);
    progress.report(300);
    expect(seen).toEqual([100, 300]);
  });
});
