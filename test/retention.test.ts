// Retention applied after real exports (source-local → store-local), and on its own through the
// storage service, with the guarantees that matter: whole exports only, never the one just made,
// nothing at all when the listing cannot be trusted.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import retention, { applyRetention, formatRetentionReport } from '@hyperexport/retention';
import sourceLocal from '@hyperexport/source-local';
import storeLocal, { FileStorageService } from '@hyperexport/store-local';
import storeRemote from '@hyperexport/store-remote';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let vm: MadeVm;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-retention-'));
  vm = await makeVmFolder(join(work, 'vms', 'db01'), 'db01', [1]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const spec = (output: string, name: string, extra: Record<string, unknown> = {}): JobSpec => ({
  source: vm.directory,
  output,
  name,
  format: 'ova',
  parallel: 1,
  overwrite: false,
  extra,
});

describe('retention after each export', () => {
  it('keeps the last N whole exports of the VM and never the one just made', async () => {
    const output = join(work, 'rotate');
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), retention({ keepLast: 2, timeZone: 'UTC' })]);
    const names = ['db01-1', 'db01-2', 'db01-3', 'db01-4'];
    for (const name of names) {
      const result = await runJob(exporter, spec(output, name));
      expect(result.status).toBe('succeeded');
      expect(result.warnings).toEqual([]);
    }
    expect((await readdir(output)).sort()).toEqual(['db01-3.ova', 'db01-3.ova.hyperexport.json', 'db01-4.ova', 'db01-4.ova.hyperexport.json']);
  });

  it('keeps tagged exports and leaves files that are not exports alone', async () => {
    const output = join(work, 'tags');
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), retention({ keepLast: 1, keepTags: ['release'] })]);
    expect((await runJob(exporter, spec(output, 'db01-a', { tags: ['release'] }))).status).toBe('succeeded');
    await writeFile(join(output, 'notes.txt'), 'mine');
    expect((await runJob(exporter, spec(output, 'db01-b'))).status).toBe('succeeded');
    expect((await runJob(exporter, spec(output, 'db01-c'))).status).toBe('succeeded');
    expect((await readdir(output)).sort()).toEqual(['db01-a.ova', 'db01-a.ova.hyperexport.json', 'db01-c.ova', 'db01-c.ova.hyperexport.json', 'notes.txt']);
  });

  it('deletes nothing when a record at the destination cannot be read, and says so', async () => {
    const output = join(work, 'corrupt');
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), retention({ keepLast: 1 })]);
    expect((await runJob(exporter, spec(output, 'db01-x'))).status).toBe('succeeded');
    await writeFile(join(output, 'broken.ova.hyperexport.json'), '{ not json');
    const result = await runJob(exporter, spec(output, 'db01-y'));
    expect(result.status).toBe('succeeded');
    expect(result.warnings.join('\n')).toMatch(/retain failed: .*broken\.ova\.hyperexport\.json is not a readable export record/);
    expect((await readdir(output)).sort()).toEqual([
      'broken.ova.hyperexport.json',
      'db01-x.ova',
      'db01-x.ova.hyperexport.json',
      'db01-y.ova',
      'db01-y.ova.hyperexport.json',
    ]);
  });
});

describe('retention at every destination the store plugins report', () => {
  const listing = async (directory: string) => (await readdir(directory)).sort();

  it('rotates the folder store-local was configured with, when there is no --output', async () => {
    const directory = join(work, 'configured-folder');
    const exporter = await Exporter.create([sourceLocal(), storeLocal({ directory }), retention({ keepLast: 1 })]);
    for (const name of ['db01-p', 'db01-q']) expect((await runJob(exporter, { ...spec(directory, name), output: undefined })).status).toBe('succeeded');
    expect(await listing(directory)).toEqual(['db01-q.ova', 'db01-q.ova.hyperexport.json']);
  });

  it("rotates the targets of store-remote's config (with their options) beside the local folder", async () => {
    const output = join(work, 'remote-local');
    const remote = join(work, 'remote-target');
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      storeRemote({ targets: [{ url: pathToFileURL(remote).href, options: {} }] }),
      retention({ keepLast: 1 }),
    ]);
    for (const name of ['db01-r1', 'db01-r2', 'db01-r3']) {
      const result = await runJob(exporter, spec(output, name));
      expect(result.status).toBe('succeeded');
      expect(result.warnings).toEqual([]);
    }
    expect(await listing(output)).toEqual(['db01-r3.ova', 'db01-r3.ova.hyperexport.json']);
    expect(await listing(remote)).toEqual(['db01-r3.ova', 'db01-r3.ova.hyperexport.json']);
  });

  it('a destination that cannot be listed does not stop the others', async () => {
    const output = join(work, 'one-broken-local');
    const remote = join(work, 'one-broken-target');
    const exporter = await Exporter.create([sourceLocal(), storeLocal(), storeRemote({ targets: [pathToFileURL(remote).href] }), retention({ keepLast: 1 })]);
    await mkdir(output, { recursive: true });
    await writeFile(join(output, 'broken.ova.hyperexport.json'), '{ not json');
    for (const name of ['db01-o1', 'db01-o2']) {
      const result = await runJob(exporter, spec(output, name));
      expect(result.status).toBe('succeeded');
      expect(result.warnings.join('\n')).toMatch(/retain failed: .*broken\.ova\.hyperexport\.json is not a readable export record/);
    }
    expect(await listing(remote)).toEqual(['db01-o2.ova', 'db01-o2.ova.hyperexport.json']);
    expect(await listing(output)).toEqual([
      'broken.ova.hyperexport.json',
      'db01-o1.ova',
      'db01-o1.ova.hyperexport.json',
      'db01-o2.ova',
      'db01-o2.ova.hyperexport.json',
    ]);
  });

  it('with keep-local=false, rotates the target and not the local folder the upload emptied', async () => {
    const output = join(work, 'moved-local');
    const remote = join(work, 'moved-target');
    const exporter = await Exporter.create([
      sourceLocal(),
      storeLocal(),
      storeRemote({ targets: [pathToFileURL(remote).href], keepLocal: false }),
      retention({ keepLast: 1 }),
    ]);
    await mkdir(output, { recursive: true });
    await writeFile(join(output, 'db01-old.ova.hyperexport.json'), '{ an unreadable record that retention would refuse to rotate past }');
    for (const name of ['db01-m1', 'db01-m2']) {
      const result = await runJob(exporter, spec(output, name));
      expect(result.status).toBe('succeeded');
      // The local folder is no destination any more: its unreadable record is not looked at.
      expect(result.warnings).toEqual([]);
    }
    expect(await listing(remote)).toEqual(['db01-m2.ova', 'db01-m2.ova.hyperexport.json']);
    expect(await listing(output)).toEqual(['db01-old.ova.hyperexport.json']);
  });
});

describe('retention on its own', () => {
  it('dry-run reports what would go and which rule keeps the rest, and deletes nothing', async () => {
    const output = join(work, 'dry');
    const exporter = await Exporter.create([sourceLocal(), storeLocal()]);
    for (const name of ['db01-old', 'db01-mid', 'db01-new']) expect((await runJob(exporter, spec(output, name))).status).toBe('succeeded');
    const service = new FileStorageService(output);
    const report = await applyRetention(service, {
      policy: { keepLast: 1, keepWithin: undefined },
      timeZone: 'UTC',
      dryRun: true,
      signal: new AbortController().signal,
    });
    expect(report.decisions.map((decision) => [decision.name, decision.keep, decision.reasons])).toEqual([
      ['db01-new', true, ['last 1']],
      ['db01-mid', false, []],
      ['db01-old', false, []],
    ]);
    const text = formatRetentionReport(report);
    expect(text).toMatch(/dry run: nothing deleted/);
    expect(text).toMatch(/periods in UTC/);
    expect(text).toMatch(/keep {3}.*db01-new\.ova \(last 1\)/);
    expect(text).toMatch(/2 export\(s\) would be deleted, 1 kept/);
    expect((await readdir(output)).filter((name) => name.endsWith('.ova'))).toHaveLength(3);
  });
});
