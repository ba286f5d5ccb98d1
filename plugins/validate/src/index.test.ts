// The plugin in the real pipeline (source-local → store-local): its pre-checks stop an export
// before a byte moves, and its post-checks stop a damaged export from being published.
import { readdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Exporter, definePlugin, runJob } from '@hyperexport/core';
import type { PluginInstance, SourceInfo } from '@hyperexport/core';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import validate from './index.ts';
import { damageGrainTable, flipByte, jobSpec, makeTestExports, memberOffset } from './testing/exports.ts';
import type { TestExports } from './testing/exports.ts';

let work: string;
let exports: TestExports;
let outputs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-validate-plugin-'));
  exports = await makeTestExports(work, [validate()]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const freshOutput = () => join(work, `out-${++outputs}`);

/** A source that describes the VM, as source-vsphere does through the inspect hook. */
function describes(info: SourceInfo): PluginInstance {
  return definePlugin({
    name: 'test-inspect',
    version: '0.0.0',
    setup(exporter) {
      // Ahead of source-local, which describes local sources itself.
      exporter.hooks.inspect.tap({ name: 'test-inspect', stage: -1 }, () => info);
    },
  })();
}

/**
 * Damages a staged file just before the checks run: set up first (`enforce: 'pre'`), its
 * synchronous tap of the parallel postValidate hook finishes before validate's tap starts.
 */
function damagesStagedFile(damage: (path: string) => void, fileName: string): PluginInstance {
  return definePlugin({
    name: 'test-damage',
    version: '0.0.0',
    enforce: 'pre',
    setup(exporter) {
      exporter.hooks.postValidate.tap('test-damage', (_job, _report, written) => {
        for (const path of written.stagedPaths.get(fileName) ?? []) damage(path);
      });
    },
  })();
}

async function exporterWith(...plugins: PluginInstance[]): Promise<Exporter> {
  return Exporter.create([sourceLocal(), storeLocal(), ...plugins]);
}

describe('validate in the pipeline', () => {
  it('intact OVA and OVF exports are published with no errors (made with validate in beforeAll)', async () => {
    expect((await stat(exports.ova)).isFile()).toBe(true);
    expect((await readdir(exports.ovfFolder)).sort()).toEqual(['web.mf', 'web.ovf', 'web.vmdk', 'web_1.vmdk']);
  });

  it('a disk damaged after writing: the OVA fails the post-export checks and nothing is published', async () => {
    const output = freshOutput();
    // The staged OVA has the same layout as the published one: same VM, same name.
    const disk = await memberOffset(exports.ova, 'web.vmdk');
    const damage = damagesStagedFile((path) => damageGrainTable(path, disk.offset), 'web.ova');
    const exporter = await exporterWith(damage, validate());
    const result = await runJob(exporter, jobSpec({ source: exports.vm.directory, output }));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('post-export checks failed');
    expect(result.error?.message).toContain('[validate] manifest: web.ova: web.vmdk: its SHA256 is');
    expect(result.error?.message).toContain('[validate] qemu-img: web.ova: web.vmdk: qemu-img check found the disk image damaged');
    expect(await readdir(output)).toEqual([]);
  });

  it('an OVF folder with a damaged disk is not published either', async () => {
    const output = freshOutput();
    const damage = damagesStagedFile((path) => flipByte(path, 1024 * 1024), 'web_1.vmdk');
    const result = await runJob(await exporterWith(damage, validate()), jobSpec({ source: exports.vm.directory, output, format: 'ovf' }));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/\[validate\] manifest: web_1\.vmdk: its SHA256 is [0-9a-f]{64}, web\.mf says/);
    expect(await readdir(output)).toEqual([]);
  });

  it('a powered-on VM is refused before anything is written; a snapshot option lets it through', async () => {
    const output = freshOutput();
    const running = describes({ name: 'web', powerState: 'poweredOn', committedBytes: 1024 });
    const exporter = await exporterWith(running, validate());
    const refused = await runJob(exporter, jobSpec({ source: exports.vm.directory, output }));
    expect(refused.status).toBe('failed');
    expect(refused.error?.message).toBe(
      'pre-export checks failed:\n  [validate] power-state: web is powered on: power it off, or export from a snapshot (--snapshot-before, or --snapshot NAME)',
    );
    await expect(readdir(output)).rejects.toThrow('ENOENT');

    const snapshotted = await runJob(exporter, jobSpec({ source: exports.vm.directory, output, extra: { snapshotBefore: true } }));
    expect(snapshotted.status).toBe('succeeded');
    expect(snapshotted.warnings).toEqual([]);
  });

  it('an export larger than the free space is refused (the real file system)', async () => {
    const huge = describes({ name: 'web', powerState: 'poweredOff', committedBytes: 2 ** 52, provisionedBytes: 2 ** 52 });
    const result = await runJob(await exporterWith(huge, validate()), jobSpec({ source: exports.vm.directory, output: freshOutput() }));
    expect(result.error?.message).toMatch(
      /^pre-export checks failed:\n {2}\[validate\] free-space: not enough free space at .*: the export needs up to 4505\.6 TiB \(the 4096\.0 TiB the VM uses plus a 10% margin\) and [\d.]+ [KMGT]iB is free;/,
    );
  });

  it('the existing export is found by the VM name the source reports', async () => {
    const result = await runJob(
      await exporterWith(describes({ name: 'web' }), validate()),
      jobSpec({ source: exports.vm.directory, output: join(exports.ova, '..') }),
    );
    expect(result.error?.message).toContain(`[validate] existing-export: an export already exists at ${exports.ova}: give --overwrite`);
  });

  it('pre: false and post: false turn the checks off', async () => {
    const output = freshOutput();
    const running = describes({ name: 'web', powerState: 'poweredOn' });
    const damage = damagesStagedFile((path) => flipByte(path, 1024 * 1024), 'web.ova');
    const result = await runJob(await exporterWith(running, damage, validate({ pre: false, post: false })), jobSpec({ source: exports.vm.directory, output }));
    expect(result.status).toBe('succeeded');
  });

  it('options are checked when the config loads', async () => {
    await expect(exporterWith(validate({ freeSpaceMargin: -1, qemuImg: 3 } as never))).rejects.toThrow(ConfigError);
    await expect(exporterWith(validate({ freeSpaceMargin: -1 }))).rejects.toThrow('plugin "validate" option "freeSpaceMargin"');
    await expect(exporterWith(validate({ qemuImg: '/usr/bin/qemu-img', freeSpaceMargin: 0.5, pre: true, post: true }))).resolves.toBeInstanceOf(Exporter);
  });
});
