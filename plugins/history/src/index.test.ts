import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Exporter, definePlugin, runJob } from '@hyperexport/core';
import type { ExportSink, JobSpec } from '@hyperexport/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import history from './index.ts';
import { readHistory } from './history-store.ts';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'history-plugin-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

// A source of one small disk that fails for VMs named `fail-*`, and a sink that discards bytes.
const fakeVm = definePlugin({
  name: 'fake-vm',
  version: '0.0.0',
  setup(exporter) {
    exporter.hooks.download.tap('fake-vm', (job) => {
      const vm = job.spec.vm!;
      if (vm.startsWith('fail')) throw new Error(`cannot log in to https://root:topsecret@esx/sdk for ${vm}`);
      const disk = Buffer.alloc(4096, 7);
      return {
        kind: 'fake',
        vmName: vm,
        files: [{ name: `${vm}.vmdk`, size: disk.length, rereadable: true, open: async () => Readable.from([disk]) }],
        descriptor: async () => '<Envelope/>',
        complete: async () => undefined,
        abort: async () => undefined,
      };
    });
    exporter.hooks.store.tap('fake-vm', (targets) => {
      const sink: ExportSink = {
        description: 'null',
        prepare: async () => undefined,
        createFile: async (artifact) => ({
          stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
          finish: async () => `null:///${artifact.name}`,
        }),
        commit: async () => ['null:///'],
        abort: async () => undefined,
      };
      targets.add(sink);
    });
  },
});

const spec = (vm: string): JobSpec => ({ vm, format: 'ovf', parallel: 2, overwrite: false, extra: {} });

describe('history plugin', () => {
  it('records every job of a concurrent batch, succeeded or failed, without secrets', async () => {
    const path = join(work, 'h', 'history.jsonl');
    const exporter = await Exporter.create([fakeVm(), history({ path })]);
    const names = Array.from({ length: 24 }, (_, index) => (index % 3 === 0 ? `fail-${index}` : `vm-${index}`));
    const results = await Promise.all(names.map((name) => runJob(exporter, spec(name))));
    expect(results.every((result) => result.warnings.length === 0)).toBe(true);

    const read = await readHistory(path);
    expect(read.corrupt).toBe(0);
    expect(read.entries.map((entry) => entry.vm).sort()).toEqual([...names].sort());
    const failed = read.entries.filter((entry) => entry.status === 'failed');
    expect(failed).toHaveLength(8);
    expect(failed[0]!.error).toMatchObject({ plugin: 'fake-vm', message: expect.stringContaining('https://root:***@esx/sdk') as string });
    const ok = read.entries.find((entry) => entry.vm === 'vm-1')!;
    expect(ok).toMatchObject({ status: 'succeeded', format: 'ovf', locations: ['null:///'] });
    expect(ok.files.map((file) => file.name).sort()).toEqual(['vm-1.mf', 'vm-1.ovf', 'vm-1.vmdk']);
    expect(ok.bytesStored).toBe(ok.files.reduce((sum, file) => sum + file.size, 0));
    expect(JSON.stringify(read.entries)).not.toContain('topsecret');
  });

  it('trims to `keep` entries', async () => {
    const path = join(work, 'history.jsonl');
    const exporter = await Exporter.create([fakeVm(), history({ path, keep: 2 })]);
    for (const name of ['a', 'b', 'c']) await runJob(exporter, spec(name));
    expect((await readHistory(path)).entries.map((entry) => entry.vm)).toEqual(['b', 'c']);
  });

  it('turns a history it cannot write into a warning, never a failed export', async () => {
    await writeFile(join(work, 'a-file'), '');
    const exporter = await Exporter.create([fakeVm(), history({ path: join(work, 'a-file', 'history.jsonl') })]);
    const result = await runJob(exporter, spec('vm-x'));
    expect(result.status).toBe('succeeded');
    expect(result.warnings.join('\n')).toMatch(/jobEnd/);
  });

  it('rejects bad options when the config is checked', async () => {
    await expect(Exporter.create([history({ keep: 0 })])).rejects.toThrow(/keep/);
    await expect(Exporter.create([history({ path: 3 } as never)])).rejects.toThrow(/path/);
  });
});
