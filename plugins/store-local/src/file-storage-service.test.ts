// The file:// backend against the conformance suite every storage backend passes.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStorageConformance } from '../../../test/support/storage-conformance.ts';
import { FileStorageService } from './file-storage-service.ts';

const roots: string[] = [];
async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'hyperexport-file-storage-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describeStorageConformance('file://', { open: async () => new FileStorageService(await freshRoot()) });

describe('FileStorageService', () => {
  it('refuses keys that climb out of the root', async () => {
    const service = new FileStorageService(await freshRoot());
    await expect(service.stat('../etc/passwd', { signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({ code: 'BAD_KEY' });
  });

  it('removes the folders a delete emptied, but not the root', async () => {
    const root = await freshRoot();
    const service = new FileStorageService(root);
    await service.put('vm/disk.vmdk', Readable.from([Buffer.from('x')]), { signal: AbortSignal.timeout(5000) });
    await service.delete('vm/disk.vmdk', { signal: AbortSignal.timeout(5000) });
    expect(await readdir(root)).toEqual([]);
  });
});

describe('FileStorageService writes no file through a link planted in the folder', () => {
  it('replaces a link at the metadata sidecar name instead of overwriting its target', async () => {
    const root = await freshRoot();
    const victim = join(root, 'victim');
    await writeFile(victim, 'precious');
    await mkdir(join(root, 'vm'));
    await symlink(victim, join(root, 'vm', '.disk.vmdk.meta.json'));
    const service = new FileStorageService(root);
    await service.put('vm/disk.vmdk', Readable.from([Buffer.from('x')]), { signal: AbortSignal.timeout(5000), metadata: { owner: 'ops' } });
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect(JSON.parse(await readFile(join(root, 'vm', '.disk.vmdk.meta.json'), 'utf8'))).toEqual({ owner: 'ops' });
    expect((await service.stat('vm/disk.vmdk', { signal: AbortSignal.timeout(5000) }))?.metadata).toEqual({ owner: 'ops' });
  });
});
