import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../model.ts';
import { FileProgress, JobProgress, RateMeter, formatClock, secondsLeft } from './progress-model.ts';
import { progressLineInterval } from './progress-reporter.ts';

const spec: JobSpec = { vm: '/DC0/vm/web01', format: 'ovf', parallel: 2, overwrite: false, extra: {} };

function writingJob(expected: { bytes: number; estimated: boolean }): JobProgress {
  const job = new JobProgress('job-1', spec, 0);
  job.stage = 'write';
  job.expected = expected;
  return job;
}

describe('JobProgress', () => {
  it('is named after the VM, not its inventory path', () => {
    expect(new JobProgress('job-1', spec, 0).label).toBe('web01');
  });

  it('counts the disks against what the write stage expects; the rest stays estimated until every disk is known', () => {
    const job = writingJob({ bytes: 300, estimated: true });
    const first = new FileProgress('disk0.vmdk', 'disk', undefined, 200);
    job.startFile(first);
    first.progress(50, undefined, 120);
    // 120 (the first disk's current estimate) + 100 (the second's share of the expectation).
    expect(job.total).toEqual({ bytes: 220, estimated: true });
    expect(job.bytes).toBe(50);
    first.end(110);
    const second = new FileProgress('disk1.vmdk', 'disk', undefined, 100);
    job.startFile(second);
    second.end(40);
    expect(job.total).toEqual({ bytes: 150, estimated: false });
    expect(job.bytes).toBe(150);
  });

  it('the descriptor, manifest and record do not count; a local OVA (no disk events) counts its package', () => {
    const job = writingJob({ bytes: 1000, estimated: false });
    job.startFile(new FileProgress('web01.ovf', 'descriptor', undefined, undefined));
    const ova = new FileProgress('web01.ova', 'package', 2048, undefined);
    job.startFile(ova);
    ova.progress(1024, 2048, undefined);
    expect(job.total).toEqual({ bytes: 2048, estimated: false });
    expect(job.bytes).toBe(1024);
  });
});

describe('throughput and time left', () => {
  it('measures the recent rate, and the time left from it', () => {
    const rate = new RateMeter();
    rate.add(0, 0);
    rate.add(1000, 10 * 1024 * 1024);
    rate.add(2000, 20 * 1024 * 1024);
    expect(rate.bytesPerSecond).toBe(10 * 1024 * 1024);
    expect(secondsLeft(20, { bytes: 120, estimated: false }, 10)).toBe(10);
    expect(secondsLeft(20, undefined, 10)).toBeUndefined();
    expect(secondsLeft(20, { bytes: 120, estimated: false }, 0)).toBeUndefined();
  });

  it('formats durations as restic does', () => {
    expect(formatClock(4)).toBe('0:04');
    expect(formatClock(754)).toBe('12:34');
    expect(formatClock(3723)).toBe('1:02:03');
  });
});

describe('progressLineInterval', () => {
  it('reads HYPEREXPORT_PROGRESS_INTERVAL in seconds or milliseconds, default 10 s', () => {
    expect(progressLineInterval({})).toBe(10_000);
    expect(progressLineInterval({ HYPEREXPORT_PROGRESS_INTERVAL: '30' })).toBe(30_000);
    expect(progressLineInterval({ HYPEREXPORT_PROGRESS_INTERVAL: '2.5s' })).toBe(2500);
    expect(progressLineInterval({ HYPEREXPORT_PROGRESS_INTERVAL: '500ms' })).toBe(500);
  });

  it('rejects what is not an interval, naming the variable', () => {
    expect(() => progressLineInterval({ HYPEREXPORT_PROGRESS_INTERVAL: 'often' })).toThrow(/HYPEREXPORT_PROGRESS_INTERVAL=often is not an interval/);
    expect(() => progressLineInterval({ HYPEREXPORT_PROGRESS_INTERVAL: '0' })).toThrow(/at least 10 ms/);
  });
});
