// store-remote through the API with file:// targets (every backend shares this code path; the
// backends themselves are tested against their servers in cloud-*.test.ts).
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, runJob } from '@hyperexport/core';
import type { ExportRecord, JobSpec } from '@hyperexport/core';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import storeRemote from '@hyperexport/store-remote';
import convertQemu from '@hyperexport/convert-qemu';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let vm: MadeVm;
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-remote-'));
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [3, 2]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const spec = (overrides: Partial<JobSpec>): JobSpec => ({ source: vm.directory, format: 'ovf', parallel: 2, overwrite: false, extra: {}, ...overrides });

async function exporter() {
  return Exporter.create([sourceLocal(), storeLocal(), storeRemote()]);
}

async function expectSameDisks(folder: string): Promise<void> {
  for (const disk of vm.disks) expect(await sha256(join(folder, disk.split('/').pop()!))).toBe(await sha256(disk));
}

describe('store-remote with file:// targets', () => {
  it('streams an OVF export to two targets at once with no local copy, each a complete export with its record', async () => {
    const a = join(work, 'stream-a');
    const b = join(work, 'stream-b');
    const result = await runJob(await exporter(), spec({ extra: { targets: [pathToFileURL(a).href, pathToFileURL(b).href] } }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    for (const target of [a, b]) {
      expect((await readdir(target)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json']);
      await expectSameDisks(join(target, 'web01'));
      const record = JSON.parse(await readFile(join(target, 'web01.ovf.hyperexport.json'), 'utf8')) as ExportRecord;
      expect(record.files.map((file) => file.path).sort()).toEqual(['web01/web01.mf', 'web01/web01.ovf', 'web01/web01.vmdk', 'web01/web01_1.vmdk']);
    }
    expect(result.locations).toEqual([`${pathToFileURL(join(a, 'web01')).href}/`, `${pathToFileURL(join(b, 'web01')).href}/`]);
  });

  it('uploads after the local export, verifies, and keeps the local copy by default', async () => {
    const output = join(work, 'after-local');
    const target = join(work, 'after-target');
    const result = await runJob(await exporter(), spec({ format: 'ova', output, extra: { targets: [pathToFileURL(target).href] } }));
    expect(result.status).toBe('succeeded');
    expect(await sha256(join(target, 'web01.ova'))).toBe(await sha256(join(output, 'web01.ova')));
    expect(result.locations).toEqual([join(output, 'web01.ova'), pathToFileURL(join(target, 'web01.ova')).href]);
  });

  it('removes the local copy only after the upload is verified (keepLocal false)', async () => {
    const output = join(work, 'drop-local');
    const target = join(work, 'drop-target');
    const result = await runJob(await exporter(), spec({ output, extra: { targets: [pathToFileURL(target).href], keepLocal: false } }));
    expect(result.status).toBe('succeeded');
    expect(await readdir(output)).toEqual([]);
    await expectSameDisks(join(target, 'web01'));
    expect(result.locations).toEqual([`${pathToFileURL(join(target, 'web01')).href}/`]);
  });

  it('uploads what the record lists, converted disks included, and then drops every local file', async () => {
    const output = join(work, 'convert-local');
    const target = join(work, 'convert-target');
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), storeRemote(), convertQemu()]);
    const result = await runJob(exporter, spec({ output, extra: { targets: [pathToFileURL(target).href], keepLocal: false, convert: 'qcow2' } }));
    expect(result.error).toBeUndefined();
    expect(await readdir(output)).toEqual([]);
    expect((await readdir(target)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json', 'web01.qcow2']);
    expect((await readdir(join(target, 'web01.qcow2'))).sort()).toEqual(['web01-disk1.qcow2', 'web01-disk2.qcow2']);
    expect(result.locations).toEqual([`${pathToFileURL(join(target, 'web01')).href}/`]);
  });

  describe("with store-local's `directory` instead of --output (issue 12 item 13)", () => {
    const withDirectory = (directory: string, remote: Parameters<typeof storeRemote>[0] = {}) =>
      Exporter.create([sourceLocal(), storeLocal({ directory }), storeRemote(remote)]);
    /** Whether the target got its first bytes while the export was written (streamed) or once it was published (uploaded after). */
    const whenTargetGotBytes = (exporter: Exporter) => {
      let published = false;
      let first: 'while writing' | 'after publishing' | undefined;
      exporter.bus.on('stage:start', (event) => {
        if (event.stage === 'published') published = true;
      });
      exporter.bus.on('target:progress', () => {
        first ??= published ? 'after publishing' : 'while writing';
      });
      return () => first;
    };

    it('has a local copy: uploads after it by default, with no warning that keep-local has no effect', async () => {
      const directory = join(work, 'dir-after-local');
      const target = join(work, 'dir-after-target');
      const exporter = await withDirectory(directory);
      const targetGotBytes = whenTargetGotBytes(exporter);
      const result = await runJob(exporter, spec({ format: 'ova', extra: { targets: [pathToFileURL(target).href], keepLocal: true } }));
      expect(result.error).toBeUndefined();
      expect(result.warnings).toEqual([]);
      expect(targetGotBytes()).toBe('after publishing');
      expect(await sha256(join(target, 'web01.ova'))).toBe(await sha256(join(directory, 'web01.ova')));
      expect(result.locations).toEqual([join(directory, 'web01.ova'), pathToFileURL(join(target, 'web01.ova')).href]);
    });

    it('honours keepLocal false: the local copy goes once the upload is verified', async () => {
      const directory = join(work, 'dir-drop-local');
      const target = join(work, 'dir-drop-target');
      const result = await runJob(
        await withDirectory(directory, { streamUpload: false, keepLocal: false }),
        spec({ extra: { targets: [pathToFileURL(target).href] } }),
      );
      expect(result.error).toBeUndefined();
      expect(result.warnings).toEqual([]);
      expect(await readdir(directory)).toEqual([]);
      await expectSameDisks(join(target, 'web01'));
      expect(result.locations).toEqual([`${pathToFileURL(join(target, 'web01')).href}/`]);
    });

    it('streams only when asked to, and then still writes the local copy', async () => {
      const directory = join(work, 'dir-stream-local');
      const target = join(work, 'dir-stream-target');
      // @ts-expect-error -- `stream`, the option's name before it became the streamUpload setting, still loads (untyped)
      const exporter = await withDirectory(directory, { stream: true });
      const targetGotBytes = whenTargetGotBytes(exporter);
      const result = await runJob(exporter, spec({ extra: { targets: [pathToFileURL(target).href] } }));
      expect(result.error).toBeUndefined();
      expect(targetGotBytes()).toBe('while writing');
      await expectSameDisks(join(directory, 'web01'));
      await expectSameDisks(join(target, 'web01'));
    });
  });

  it('fails the export when an upload fails, keeps the local copy and leaves nothing at the target', async () => {
    const output = join(work, 'fail-local');
    const blocked = join(work, 'blocked');
    // A file where the target directory should be: the upload cannot create its folder.
    await writeFile(blocked, 'not a directory');
    const result = await runJob(await exporter(), spec({ output, extra: { targets: [pathToFileURL(join(blocked, 'sub')).href], keepLocal: false } }));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/upload failed/);
    expect(result.error?.message).toMatch(/the local export stays/);
    await expectSameDisks(join(output, 'web01'));
    expect((await stat(join(output, 'web01.ovf.hyperexport.json'))).isFile()).toBe(true);
  });

  it('refuses to upload over an export already at the target unless overwrite is given, and leaves that one whole', async () => {
    const target = join(work, 'after-exists');
    const url = pathToFileURL(target).href;
    expect((await runJob(await exporter(), spec({ output: join(work, 'after-exists-1'), extra: { targets: [url] } }))).status).toBe('succeeded');
    const before = await sha256(join(target, 'web01.ovf.hyperexport.json'));
    const again = await runJob(await exporter(), spec({ output: join(work, 'after-exists-2'), extra: { targets: [url] } }));
    expect(again.status).toBe('failed');
    expect(again.error?.message).toMatch(/an export already exists at .*web01\.ovf\.hyperexport\.json/);
    expect(await sha256(join(target, 'web01.ovf.hyperexport.json'))).toBe(before);
    await expectSameDisks(join(target, 'web01'));
    const replaced = await runJob(await exporter(), spec({ output: join(work, 'after-exists-3'), overwrite: true, extra: { targets: [url] } }));
    expect(replaced.status).toBe('succeeded');
    await expectSameDisks(join(target, 'web01'));
  });

  it('refuses a scheme no plugin handles before any data moves', async () => {
    const output = join(work, 'no-scheme');
    const result = await runJob(await exporter(), spec({ output, extra: { targets: ['s3://bucket/prefix'] } }));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/no configured plugin stores to s3:\/\/ URLs/);
    await expect(stat(join(output, 'web01'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses to stream over an existing export unless overwrite is given, and then replaces it', async () => {
    const target = join(work, 'stream-again');
    const url = pathToFileURL(target).href;
    expect((await runJob(await exporter(), spec({ extra: { targets: [url] } }))).status).toBe('succeeded');
    const again = await runJob(await exporter(), spec({ extra: { targets: [url] } }));
    expect(again.status).toBe('failed');
    expect(again.error?.message).toMatch(/already exists/);
    await expectSameDisks(join(target, 'web01'));
    const replaced = await runJob(await exporter(), spec({ overwrite: true, extra: { targets: [url] } }));
    expect(replaced.status).toBe('succeeded');
    await expectSameDisks(join(target, 'web01'));
  });
});
