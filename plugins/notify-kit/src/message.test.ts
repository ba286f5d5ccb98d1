import type { Job, JobResult, JobSpec } from '@hyperexport/core';
import { describe, expect, it } from 'vitest';
import { messageFacts, messageSummary, messageText, messageTitle } from './message-format.ts';
import { progressMessage, resultMessage, startedMessage } from './message.ts';

const spec: JobSpec = { vm: '/dc/vm/web01', format: 'ova', parallel: 2, overwrite: false, extra: { tags: ['nightly'] } };

const succeeded: JobResult = {
  id: 'job-1',
  status: 'succeeded',
  vmName: 'web01',
  format: 'ova',
  baseName: 'web01',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:02:00.000Z',
  durationMs: 120_000,
  bytesRead: 3 * 1024 ** 3,
  files: [{ name: 'web01.ova', kind: 'package', size: 2 * 1024 ** 3, sha256: 'a'.repeat(64), locations: ['/b/web01.ova'] }],
  locations: ['/b/web01.ova', 's3://bucket/web01.ova'],
  warnings: ['snapshot was old'],
};

describe('messages', () => {
  it('describes a success with sizes, duration, throughput and destinations', () => {
    const message = resultMessage(succeeded, { spec });
    expect(message).toMatchObject({
      event: 'completed',
      status: 'succeeded',
      vm: 'web01',
      storedBytes: 2 * 1024 ** 3,
      bytesPerSecond: Math.round((3 * 1024 ** 3) / 120),
      tags: ['nightly'],
    });
    expect(messageTitle(message)).toBe('Export of web01 succeeded');
    expect(messageSummary(message)).toBe('web01 was exported as OVA: 3.0 GiB read in 2 min 0 s (25.6 MiB/s).');
    const facts = Object.fromEntries(messageFacts(message).map((fact) => [fact.label, fact.value]));
    expect(facts).toMatchObject({
      VM: 'web01',
      Stored: '2.0 GiB in 1 file',
      Throughput: '25.6 MiB/s',
      Destinations: '/b/web01.ova\ns3://bucket/web01.ova',
      'Warnings (1)': 'snapshot was old',
      Tags: 'nightly',
      Job: 'job-1',
    });
  });

  it('describes a failure with the error and its hint, and names the VM asked for when none was found', () => {
    const failed: JobResult = {
      ...succeeded,
      status: 'failed',
      vmName: undefined,
      files: [],
      locations: [],
      bytesRead: 0,
      error: { message: 'login failed', hint: 'check GOVC_USERNAME', plugin: 'source-vsphere' },
    };
    const message = resultMessage(failed, { spec });
    expect(message).toMatchObject({ event: 'failed', vm: '/dc/vm/web01', storedBytes: undefined });
    expect(messageTitle(message)).toBe('Export of /dc/vm/web01 FAILED');
    expect(messageText(message)).toContain('Error: login failed\nHint: check GOVC_USERNAME\n');
  });

  it('counts a cancelled job as a failed event', () => {
    expect(resultMessage({ ...succeeded, status: 'cancelled', error: { message: 'export cancelled' } }, { spec }).event).toBe('failed');
  });

  it('describes the start and the progress', () => {
    expect(startedMessage('job-1', spec, new Date(0))).toMatchObject({ event: 'started', status: 'started', vm: '/dc/vm/web01' });
    const job = { id: 'job-1', spec, startedAt: new Date(0), warnings: [], source: { name: 'web01' } } as unknown as Job;
    const message = progressMessage(job, { bytesRead: 512, totalBytes: 2048 }, 4000);
    expect(message).toMatchObject({ event: 'progress', vm: 'web01', percent: 25, bytesPerSecond: 128, durationMs: 4000 });
    expect(messageTitle(message)).toBe('Export of web01: 25 %');
    expect(progressMessage(job, { bytesRead: 512, totalBytes: undefined }, 4000).percent).toBeUndefined();
  });
});
