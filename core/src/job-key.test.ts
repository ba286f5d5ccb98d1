import { describe, expect, it } from 'vitest';
import { exportJobKey } from './job-key.ts';
import type { JobKeyParts } from './job-key.ts';

const parts: JobKeyParts = {
  identity: 'vsphere:vc/sdk#vm-57',
  kind: 'vsphere',
  vmName: 'web01',
  format: 'ova',
  nameTemplate: '{vm}-{time}',
  stages: ['zstd', 'aes-256-gcm'],
};

describe('exportJobKey', () => {
  it('is the same for a rerun of the same job, whatever its name renders to', () => {
    expect(exportJobKey(parts)).toEqual(exportJobKey({ ...parts }));
    expect(exportJobKey(parts)).toMatchObject({ source: expect.stringMatching(/^[0-9a-f]{16}$/), settings: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('keeps the source and changes the settings for another format, name or stages', () => {
    const key = exportJobKey(parts);
    for (const other of [{ format: 'ovf' as const }, { nameTemplate: '{vm}' }, { stages: ['zstd'] }, { stages: ['aes-256-gcm', 'zstd'] }]) {
      const changed = exportJobKey({ ...parts, ...other });
      expect(changed.source).toBe(key.source);
      expect(changed.settings, JSON.stringify(other)).not.toBe(key.settings);
    }
    expect(exportJobKey({ ...parts, identity: 'vsphere:vc/sdk#vm-58' }).source).not.toBe(key.source);
  });

  it('gives every run of a source without an identity its own job (it cannot be continued)', () => {
    const a = exportJobKey({ ...parts, identity: undefined });
    const b = exportJobKey({ ...parts, identity: undefined });
    expect(a.source).toBe(b.source);
    expect(a.settings).not.toBe(b.settings);
  });
});
