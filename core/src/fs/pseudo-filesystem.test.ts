import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pseudoFileSystemOf } from './pseudo-filesystem.ts';

describe('pseudoFileSystemOf', () => {
  it('names the pseudo file system of a path that does not exist yet, from its nearest existing ancestor', async () => {
    expect(await pseudoFileSystemOf('/proc/hyperexport-test/a/b')).toEqual({ type: 'proc', mountPoint: '/proc', existing: '/proc' });
    expect(await pseudoFileSystemOf('/sys/kernel/hyperexport-test')).toMatchObject({ type: 'sysfs', existing: '/sys/kernel' });
    expect(await pseudoFileSystemOf('/proc/self/fd/../hyperexport-test')).toMatchObject({ type: 'proc' });
  });

  it('is undefined for a folder on a real file system, existing or not', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'hyperexport-pseudo-'));
    try {
      expect(await pseudoFileSystemOf(folder)).toBeUndefined();
      expect(await pseudoFileSystemOf(join(folder, 'not', 'yet'))).toBeUndefined();
    } finally {
      await rm(folder, { recursive: true });
    }
  });
});
