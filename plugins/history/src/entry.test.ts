import type { JobResult } from '@hyperexport/core';
import { describe, expect, it } from 'vitest';
import { entryFromResult, parseLine } from './entry.ts';

const base: JobResult = {
  id: 'job-1',
  status: 'succeeded',
  vmName: 'web01',
  format: 'ova',
  baseName: 'web01',
  startedAt: '2026-05-01T10:00:00.000Z',
  finishedAt: '2026-05-01T10:00:10.000Z',
  durationMs: 10_000,
  bytesRead: 5000,
  files: [
    { name: 'web01.ovf', kind: 'descriptor', size: 100, sha256: 'a'.repeat(64), locations: ['/b/web01/web01.ovf'] },
    { name: 'web01.vmdk', kind: 'disk', size: 4000, sha256: 'b'.repeat(64), locations: ['/b/web01/web01.vmdk'] },
  ],
  locations: ['/b/web01', 'sftp://backup:hunter2@nas/exports/web01'],
  warnings: ['w1', 'w2'],
};

describe('entryFromResult', () => {
  it('records the result with sizes summed, warnings counted and credentials redacted', () => {
    const entry = entryFromResult(base);
    expect(entry).toEqual({
      version: 1,
      id: 'job-1',
      vm: 'web01',
      status: 'succeeded',
      format: 'ova',
      startedAt: base.startedAt,
      finishedAt: base.finishedAt,
      durationMs: 10_000,
      bytesRead: 5000,
      bytesStored: 4100,
      files: [
        { name: 'web01.ovf', size: 100, sha256: 'a'.repeat(64) },
        { name: 'web01.vmdk', size: 4000, sha256: 'b'.repeat(64) },
      ],
      locations: ['/b/web01', 'sftp://backup:***@nas/exports/web01'],
      warnings: 2,
    });
    expect(parseLine(JSON.stringify(entry))).toEqual({ kind: 'entry', entry });
  });

  it('redacts the error and names a VM that never opened after what the user asked for', () => {
    const failed: JobResult = {
      ...base,
      status: 'failed',
      vmName: undefined,
      baseName: undefined,
      files: [],
      locations: [],
      warnings: [],
      error: { message: 'login to https://root:pa55@esx/sdk failed (password=pa55)', code: 'PLUGIN', plugin: 'source-vsphere', hook: 'download' },
    };
    const entry = entryFromResult(failed, { vm: '/DC0/vm/prod/db01', source: undefined, name: undefined });
    expect(entry.vm).toBe('db01');
    expect(entry.error).toEqual({ message: 'login to https://root:***@esx/sdk failed (password=***)', code: 'PLUGIN', plugin: 'source-vsphere' });
    expect(JSON.stringify(entry)).not.toContain('pa55');
    expect(entryFromResult(failed, { source: './vms/web02.ova', vm: undefined, name: undefined }).vm).toBe('web02');
    expect(entryFromResult(failed).vm).toBe('unknown');
  });
});

describe('parseLine', () => {
  it('tells entries, newer versions and corrupt lines apart', () => {
    expect(parseLine('{"version":2,"id":"x"}')).toEqual({ kind: 'newer' });
    expect(parseLine('{"version":1,"id":"x"}')).toEqual({ kind: 'corrupt' });
    expect(parseLine('[1,2]')).toEqual({ kind: 'corrupt' });
    expect(parseLine('{"version":1,')).toEqual({ kind: 'corrupt' });
  });
});
