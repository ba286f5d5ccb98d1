// Compressed exports end to end: a real VM folder (qemu-img made disks) through source-local,
// the compress plugin and store-local, checked with the standard `gzip` and `zstd` programs.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { ConfigError, Exporter, checkJob, runJob } from '@hyperexport/core';
import type { JobResult, JobSpec, PluginInstance } from '@hyperexport/core';
import compress, { reverseStages } from '@hyperexport/compress';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

const exec = promisify(execFile);

let work: string;
let vm: MadeVm;
/** An uncompressed OVA of the VM, to compare decompressed OVAs with. */
let plainOva: string;

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

/** Decompresses with the real program into a file next to the input and returns its path. */
async function decompressWithProgram(path: string): Promise<string> {
  const program = path.endsWith('.gz') ? 'gzip' : 'zstd';
  const out = `${path}.decompressed`;
  await exec('sh', ['-c', `${program} -d -c -- "$0" > "$1"`, path, out]);
  return out;
}

async function exportVm(plugins: PluginInstance[], format: 'ova' | 'ovf', output: string, extra: Record<string, unknown> = {}): Promise<JobResult> {
  const exporter = await Exporter.create([sourceLocal(), storeLocal({ fsync: false }), ...plugins]);
  const spec: JobSpec = { source: vm.directory, format, output, parallel: 2, overwrite: false, extra };
  return runJob(exporter, spec);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-compress-'));
  await chmod(work, 0o755);
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [6, 3]);
  const plain = await exportVm([compress()], 'ova', join(work, 'plain'));
  expect(plain.status, plain.error?.message).toBe('succeeded');
  plainOva = join(work, 'plain', 'web01.ova');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.each([
  { algorithm: 'gzip', suffix: '.gz' },
  { algorithm: 'zstd', suffix: '.zst' },
])('--compress $algorithm', ({ algorithm, suffix }) => {
  it('an OVF folder: compressed disks that the standard program restores byte for byte, described in the .ovf and .mf', async () => {
    const out = join(work, `ovf-${algorithm}`);
    const result = await exportVm([compress()], 'ovf', out, { compress: algorithm });
    expect(result.status, result.error?.message).toBe('succeeded');
    const folder = join(out, 'web01');
    expect((await readdir(folder)).sort()).toEqual(['web01.mf', 'web01.ovf', `web01.vmdk${suffix}`, `web01_1.vmdk${suffix}`]);

    for (const disk of vm.disks) {
      const name = disk.split('/').pop()!;
      const stored = join(folder, `${name}${suffix}`);
      expect(await sha256(await decompressWithProgram(stored))).toBe(await sha256(disk));
      await rm(`${stored}.decompressed`);
      // The way back `hyperexport restore` takes gives the same bytes.
      const reverse = reverseStages.find((stage) => stored.endsWith(stage.suffix))!;
      const restored = join(work, `${algorithm}-${name}`);
      await pipeline(
        createReadStream(stored),
        await reverse.create(stored, { passphrase: async () => '', privateKeyFiles: [] }, AbortSignal.timeout(60_000)),
        createWriteStream(restored),
      );
      expect(await sha256(restored)).toBe(await sha256(disk));
    }

    // The descriptor refers to the stored files; only gzip has a standard OVF spelling.
    const ovf = await readFile(join(folder, 'web01.ovf'), 'utf8');
    expect(ovf).toContain(`ovf:href="web01.vmdk${suffix}"`);
    expect(ovf).toContain(`ovf:href="web01_1.vmdk${suffix}"`);
    if (algorithm === 'gzip') expect(ovf.match(/ovf:compression="gzip"/g)).toHaveLength(2);
    else expect(ovf).not.toContain('ovf:compression');
    // The manifest holds the digests of the files as stored.
    const manifest = await readFile(join(folder, 'web01.mf'), 'utf8');
    for (const name of [`web01.vmdk${suffix}`, `web01_1.vmdk${suffix}`, 'web01.ovf']) {
      expect(manifest).toContain(`SHA256(${name})= ${await sha256(join(folder, name))}`);
    }
    expect(result.files.map((file) => file.name).sort()).toEqual(['web01.mf', 'web01.ovf', `web01.vmdk${suffix}`, `web01_1.vmdk${suffix}`]);
  });

  it('an OVA: the whole package compressed, decompressing to the same OVA as an uncompressed export', async () => {
    const out = join(work, `ova-${algorithm}`);
    const result = await exportVm([compress()], 'ova', out, { compress: `${algorithm}:2` });
    expect(result.status, result.error?.message).toBe('succeeded');
    expect((await readdir(out)).sort()).toEqual(['web01.ova.hyperexport.json', `web01.ova${suffix}`].sort());
    const decompressed = await decompressWithProgram(join(out, `web01.ova${suffix}`));
    const { stdout } = await exec('tar', ['-tf', decompressed]);
    const members = ['web01.ovf', 'web01.mf', 'web01.vmdk', 'web01_1.vmdk'];
    expect(stdout.trim().split('\n')).toEqual(members);
    // Member by member the same as the uncompressed OVA (the tar headers' times differ).
    const [mine, plain] = [join(work, `ova-${algorithm}-x`), join(work, `ova-${algorithm}-plain-x`)];
    await exec('sh', ['-c', 'mkdir -p "$0" "$1" && tar -xf "$2" -C "$0" && tar -xf "$3" -C "$1"', mine, plain, decompressed, plainOva]);
    for (const member of members) expect(await sha256(join(mine, member)), member).toBe(await sha256(join(plain, member)));
    // The record beside it names the stage and lists the stored file.
    const record = JSON.parse(await readFile(join(out, 'web01.ova.hyperexport.json'), 'utf8')) as { stages: string[]; files: { path: string }[] };
    expect(record.stages).toEqual([algorithm]);
    expect(record.files.map((file) => file.path)).toEqual([`web01.ova${suffix}`]);
  });
});

describe('settings', () => {
  it('the config option compresses every export; --compress none turns it off for one job', async () => {
    const configured = compress({ algorithm: 'zstd', level: 9, threads: 1 });
    const on = await exportVm([configured], 'ovf', join(work, 'config-on'));
    expect(on.status, on.error?.message).toBe('succeeded');
    expect((await readdir(join(work, 'config-on', 'web01'))).sort()).toEqual(['web01.mf', 'web01.ovf', 'web01.vmdk.zst', 'web01_1.vmdk.zst']);
    const off = await exportVm([configured], 'ovf', join(work, 'config-off'), { compress: 'none' });
    expect(off.status, off.error?.message).toBe('succeeded');
    expect((await readdir(join(work, 'config-off', 'web01'))).sort()).toEqual(['web01.mf', 'web01.ovf', 'web01.vmdk', 'web01_1.vmdk']);
  });

  it('without options or --compress, nothing is compressed', async () => {
    const result = await exportVm([compress()], 'ovf', join(work, 'untouched'));
    expect(result.status, result.error?.message).toBe('succeeded');
    expect((await readdir(join(work, 'untouched', 'web01'))).sort()).toEqual(['web01.mf', 'web01.ovf', 'web01.vmdk', 'web01_1.vmdk']);
  });

  it.each([
    ['zstd:42', 'zstd levels are 1 to 19'],
    ['gzip:0', 'gzip levels are 1 to 9'],
    ['brotli', 'unknown algorithm'],
  ])('a bad --compress %s is a usage error before any byte moves, naming the value and the accepted forms', async (value, why) => {
    const out = join(work, `bad-${value.replace(':', '-')}`);
    const result = await exportVm([compress()], 'ovf', out, { compress: value });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'CONFIG',
      message: `bad compression "${value}": ${why}; accepted forms: gzip, zstd, gzip:LEVEL (1-9), zstd:LEVEL (1-19), or none/off`,
    });
    expect(await readdir(out).catch(() => [])).toEqual([]);

    // `--validate-only` reports the same problem, as a usage error.
    const exporter = await Exporter.create([sourceLocal(), compress()]);
    await expect(checkJob(exporter, { source: vm.directory, format: 'ovf', parallel: 1, overwrite: false, extra: { compress: value } })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(`bad compression "${value}"`) as string,
    });
  });

  it('a level the configured algorithm cannot take fails when the plugins are set up', async () => {
    await expect(Exporter.create([compress({ algorithm: 'gzip', level: 12 })])).rejects.toThrow(ConfigError);
    await expect(Exporter.create([compress({ algorithm: 'gzip', level: 12 })])).rejects.toThrow(
      'bad compression "level: 12 in the compress options": gzip levels are 1 to 9',
    );
    await expect(Exporter.create([compress({ level: 25 })])).rejects.toThrow('compress: level 25 is not a level of gzip (1-9) or zstd (1-19)');
    await expect(Exporter.create([compress({ algorithm: 'zstd', threads: 0 })])).rejects.toThrow('threads must be a whole number of at least 1');
  });
});

describe('a compressed export of an OVF that has a manifest', () => {
  it('still checks every disk against that manifest, although only the stored bytes are hashed for the export', async () => {
    const plain = join(work, 'manifest-source');
    expect((await exportVm([], 'ovf', plain)).status).toBe('succeeded');
    const intact = await runJob(await Exporter.create([sourceLocal(), storeLocal({ fsync: false }), compress()]), {
      source: join(plain, 'web01', 'web01.ovf'),
      format: 'ovf',
      output: join(work, 'manifest-intact'),
      parallel: 2,
      overwrite: false,
      extra: { compress: 'zstd' },
    });
    expect(intact.error).toBeUndefined();
    // Damage one byte of a disk of the exported folder, keeping its size.
    const disk = join(plain, 'web01', 'web01.vmdk');
    const bytes = await readFile(disk);
    bytes[bytes.length - 600]! ^= 0x01;
    await writeFile(disk, bytes);
    const exporter = await Exporter.create([sourceLocal(), storeLocal({ fsync: false }), compress()]);
    const result = await runJob(exporter, {
      source: join(plain, 'web01', 'web01.ovf'),
      format: 'ovf',
      output: join(work, 'manifest-out'),
      parallel: 2,
      overwrite: false,
      extra: { compress: 'zstd' },
    });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/web01\.vmdk does not match the manifest/);
  });
});
