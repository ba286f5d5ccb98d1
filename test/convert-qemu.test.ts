// convert-qemu end to end: real VM folders (streamOptimized VMDKs made by qemu-img) exported with
// source-local + store-local and converted by the real qemu-img to every format, each converted
// disk checked with `qemu-img compare` against the source VMDK and `qemu-img info` for its format.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, Exporter, runJob, Stage, t } from '@hyperexport/core';
import type { ExportEvents, ExportRecord, ExportSink, JobResult, JobSpec } from '@hyperexport/core';
import convertQemu from '@hyperexport/convert-qemu';
import type { ConvertQemuOptions, TargetFormat } from '@hyperexport/convert-qemu';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

const exec = promisify(execFile);

let work: string;
let vm: MadeVm;
/** A qemu-img that logs its arguments and pid, then runs the real one (and can be slowed down). */
let loggingQemuImg: string;
let qemuImgLog: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-convert-'));
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [8, 4]);
  qemuImgLog = join(work, 'qemu-img.log');
  loggingQemuImg = join(work, 'bin', 'qemu-img-logging');
  await mkdir(join(work, 'bin'));
  const realQemuImg = (await exec('sh', ['-c', 'command -v qemu-img'])).stdout.trim();
  await writeFile(
    loggingQemuImg,
    [
      '#!/bin/sh',
      `echo "$$ $*" >> '${qemuImgLog}'`,
      // QEMU_IMG_RATE slows conversions down (qemu-img's own rate limit), so a test can cancel one mid-way.
      `if [ "$1" = convert ] && [ -n "$QEMU_IMG_RATE" ]; then shift; exec '${realQemuImg}' convert -r "$QEMU_IMG_RATE" "$@"; fi`,
      // QEMU_IMG_MISMATCH answers a compare as qemu-img does for images that differ.
      'if [ "$1" = compare ] && [ -n "$QEMU_IMG_MISMATCH" ]; then echo "Content mismatch at offset 4096!"; exit 1; fi',
      `exec '${realQemuImg}' "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(loggingQemuImg, 0o755);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Run {
  result: JobResult;
  events: { [E in keyof ExportEvents]: { event: E; payload: ExportEvents[E] } }[keyof ExportEvents][];
}

async function exportWith(
  options: ConvertQemuOptions | undefined,
  spec: Partial<JobSpec> & { extra?: Record<string, unknown> },
  more: Parameters<typeof Exporter.create>[0] = [],
  signal?: AbortSignal,
  onEvent?: (run: Run['events'][number], abort: () => void) => void,
): Promise<Run> {
  const exporter = await Exporter.create([sourceLocal(), storeLocal({ fsync: false }), convertQemu(options), ...more]);
  const events: Run['events'] = [];
  const controller = new AbortController();
  signal?.addEventListener('abort', () => controller.abort(signal.reason));
  exporter.bus.onAny((event, payload) => {
    const entry = { event, payload } as Run['events'][number];
    events.push(entry);
    onEvent?.(entry, () => controller.abort(new Error('stopped by the test')));
  });
  const result = await runJob(
    exporter,
    {
      source: vm.directory,
      format: 'ovf',
      parallel: 2,
      overwrite: false,
      ...spec,
      extra: spec.extra ?? {},
    },
    { signal: controller.signal },
  );
  return { result, events };
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** `qemu-img compare` of a source VMDK with a converted disk; the converted one opened with its driver. */
async function compare(sourceVmdk: string, converted: string, driver: string): Promise<string> {
  const { stdout } = await exec('qemu-img', ['compare', '-f', 'vmdk', '-F', driver, sourceVmdk, converted]);
  return stdout.trim();
}

async function info(path: string, driver?: string): Promise<{ format: string; 'virtual-size': number; 'cluster-size'?: number }> {
  const { stdout } = await exec('qemu-img', ['info', '--output=json', ...(driver ? ['-f', driver] : []), path]);
  return JSON.parse(stdout) as { format: string; 'virtual-size': number };
}

const FORMATS: { format: TargetFormat; driver: string }[] = [
  { format: 'qcow2', driver: 'qcow2' },
  { format: 'vhd', driver: 'vpc' },
  { format: 'vhdx', driver: 'vhdx' },
  { format: 'vdi', driver: 'vdi' },
  { format: 'raw', driver: 'raw' },
];

describe('convert-qemu: every format from an OVF folder export', () => {
  it.each(FORMATS)('--convert $format gives a verified $format disk set next to the export', async ({ format, driver }) => {
    const out = join(work, `out-${format}`);
    const { result, events } = await exportWith(undefined, { output: out, extra: { convert: format } });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');

    const folder = join(out, `web01.${format}`);
    expect((await readdir(out)).sort()).toEqual(['web01', `web01.${format}`, 'web01.ovf.hyperexport.json'].sort());
    expect((await readdir(folder)).sort()).toEqual([`web01-disk1.${format}`, `web01-disk2.${format}`]);
    expect(result.locations).toEqual([join(out, 'web01'), folder]);

    for (const [index, sourceVmdk] of vm.disks.entries()) {
      const converted = join(folder, `web01-disk${index + 1}.${format}`);
      expect(await compare(sourceVmdk, converted, driver)).toBe('Images are identical.');
      const probed = await info(converted);
      expect(probed.format).toBe(driver);
      // force_size (the VHD default) keeps the exact size; every other format keeps it anyway.
      expect(probed['virtual-size']).toBe((index === 0 ? 8 : 4) * 1024 * 1024);

      const name = `web01.${format}/web01-disk${index + 1}.${format}`;
      const stored = result.files.find((file) => file.name === name);
      expect(stored).toEqual({ name, kind: 'disk', size: (await stat(converted)).size, sha256: await sha256(converted), locations: [converted] });
      // Progress from `qemu-img convert -p`: a start, a last update at 100 %, and an end with the digest.
      expect(events).toContainEqual({ event: 'file:start', payload: expect.objectContaining({ name, kind: 'disk', size: probed['virtual-size'] }) });
      const progress = events.filter((entry) => entry.event === 'file:progress' && entry.payload.name === name);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.at(-1)!.payload).toMatchObject({ bytes: probed['virtual-size'], total: probed['virtual-size'] });
      expect(events).toContainEqual({ event: 'file:end', payload: expect.objectContaining({ name, size: stored!.size, sha256: stored!.sha256 }) });
    }
    // The export itself is untouched (keepExport defaults to true).
    for (const sourceVmdk of vm.disks) expect(await sha256(join(out, 'web01', basename(sourceVmdk)))).toBe(await sha256(sourceVmdk));
  });
});

describe('convert-qemu: per-format options', () => {
  it('passes each format option to qemu-img and the disks show it', async () => {
    const cases: { format: TargetFormat; options: ConvertQemuOptions; args: string; check: (disk: string) => Promise<void> }[] = [
      {
        format: 'qcow2',
        options: { qcow2: { compress: true, clusterSize: 131072 } },
        args: '-O qcow2 -c -o cluster_size=131072',
        check: async (disk) => expect((await info(disk))['cluster-size']).toBe(131072),
      },
      {
        format: 'vhd',
        options: { vhd: { subformat: 'fixed' } },
        args: '-O vpc -o subformat=fixed,force_size=on',
        // A fixed VHD is the raw disk and a 512-byte footer (so qemu only knows it when told -f vpc).
        check: async (disk) => {
          expect(await info(disk, 'vpc')).toMatchObject({ format: 'vpc', 'virtual-size': 8 * 1024 * 1024 });
          expect((await stat(disk)).size).toBe(8 * 1024 * 1024 + 512);
        },
      },
      {
        format: 'vhdx',
        options: { vhdx: { subformat: 'fixed' } },
        args: '-O vhdx -o subformat=fixed',
        check: async (disk) => expect((await stat(disk)).size).toBeGreaterThan(8 * 1024 * 1024),
      },
      {
        format: 'vdi',
        options: { vdi: { subformat: 'fixed' } },
        args: '-O vdi -o static=on',
        check: async (disk) => expect((await stat(disk)).size).toBeGreaterThan(8 * 1024 * 1024),
      },
    ];
    for (const { format, options, args, check } of cases) {
      await rm(qemuImgLog, { force: true });
      const out = join(work, `out-options-${format}`);
      // The format from the config alone: no --convert needed.
      const { result } = await exportWith({ ...options, format, qemuImg: loggingQemuImg }, { output: out, parallel: 1 });
      expect(result.error).toBeUndefined();
      const converts = (await readFile(qemuImgLog, 'utf8')).split('\n').filter((line) => / convert /.test(line));
      expect(converts).toHaveLength(2);
      for (const line of converts) expect(line).toContain(` ${args} ${join(out, `.web01.${format}.partial`)}/web01-disk`);
      const disk = join(out, `web01.${format}`, `web01-disk1.${format}`);
      expect(await compare(vm.disks[0]!, disk, format === 'vhd' ? 'vpc' : format)).toBe('Images are identical.');
      await check(disk);
    }
  });

  it('--convert overrides the config format, and --convert none turns a configured conversion off', async () => {
    const out = join(work, 'out-override');
    const { result } = await exportWith({ format: 'vdi' }, { output: out, extra: { convert: 'raw' } });
    expect(result.error).toBeUndefined();
    expect((await readdir(out)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json', 'web01.raw']);

    const none = join(work, 'out-none');
    const off = await exportWith({ format: 'vdi' }, { output: none, extra: { convert: 'none' } });
    expect(off.result.status).toBe('succeeded');
    expect((await readdir(none)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json']);
  });
});

describe('convert-qemu: OVA exports, replacing, removing the export', () => {
  it('converts the disks of an OVA in place (tar members read at their offsets)', async () => {
    await rm(qemuImgLog, { force: true });
    const out = join(work, 'out-ova');
    const { result } = await exportWith({ qemuImg: loggingQemuImg }, { output: out, format: 'ova', extra: { convert: 'qcow2' } });
    expect(result.error).toBeUndefined();
    expect((await readdir(out)).sort()).toEqual(['web01.ova', 'web01.ova.hyperexport.json', 'web01.qcow2']);
    for (const [index, sourceVmdk] of vm.disks.entries()) {
      expect(await compare(sourceVmdk, join(out, 'web01.qcow2', `web01-disk${index + 1}.qcow2`), 'qcow2')).toBe('Images are identical.');
    }
    // Nothing was extracted: qemu-img read the OVA itself through the raw driver's offset.
    const log = await readFile(qemuImgLog, 'utf8');
    expect(log).toMatch(
      new RegExp(
        `convert -p --image-opts driver=vmdk,file\\.driver=raw,file\\.offset=\\d+,file\\.size=\\d+,file\\.file\\.driver=file,file\\.file\\.filename=${join(out, 'web01.ova').replaceAll('.', '\\.')} `,
      ),
    );
    expect(result.locations).toEqual([join(out, 'web01.ova'), join(out, 'web01.qcow2')]);
  });

  it('refuses to replace converted disks without --overwrite, and replaces them with it', async () => {
    const out = join(work, 'out-again');
    const first = await exportWith(undefined, { output: out, extra: { convert: 'vdi' } });
    expect(first.result.status).toBe('succeeded');
    const before = await sha256(join(out, 'web01.vdi', 'web01-disk1.vdi'));

    const again = await exportWith(undefined, { output: out, extra: { convert: 'vdi' } });
    expect(again.result.status).toBe('failed');
    expect(again.result.error?.message).toContain(`existing-conversion: converted disks already exist at ${join(out, 'web01.vdi')}: give --overwrite`);
    expect(again.events.some((entry) => entry.event === 'file:start')).toBe(false);

    const replaced = await exportWith(undefined, { output: out, overwrite: true, extra: { convert: 'vdi' } });
    expect(replaced.result.error).toBeUndefined();
    expect((await readdir(out)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json', 'web01.vdi']);
    const record = JSON.parse(await readFile(join(out, 'web01.ovf.hyperexport.json'), 'utf8')) as ExportRecord;
    expect(record.files.map((file) => file.path).filter((path) => path.startsWith('web01.vdi/'))).toEqual([
      'web01.vdi/web01-disk1.vdi',
      'web01.vdi/web01-disk2.vdi',
    ]);
    expect(record.files.some((file) => file.path === 'web01/web01.ovf')).toBe(true);
    // VDI headers carry a fresh UUID, so the replacement differs in bytes but not in content.
    expect(await sha256(join(out, 'web01.vdi', 'web01-disk1.vdi'))).not.toBe(before);
    expect(await compare(vm.disks[0]!, join(out, 'web01.vdi', 'web01-disk1.vdi'), 'vdi')).toBe('Images are identical.');
  });

  it('keepExport: false removes the OVF folder once every disk is verified; the record then lists only the converted disks', async () => {
    const out = join(work, 'out-nokeep');
    const { result } = await exportWith({ keepExport: false }, { output: out, extra: { convert: 'qcow2' } });
    expect(result.error).toBeUndefined();
    expect((await readdir(out)).sort()).toEqual(['web01.ovf.hyperexport.json', 'web01.qcow2']);
    expect(result.locations).toEqual([join(out, 'web01.qcow2')]);
    expect(result.files.map((file) => file.name)).toEqual(['web01.qcow2/web01-disk1.qcow2', 'web01.qcow2/web01-disk2.qcow2']);
    const record = JSON.parse(await readFile(join(out, 'web01.ovf.hyperexport.json'), 'utf8')) as ExportRecord;
    expect(record.files.map((file) => file.path)).toEqual(['web01.qcow2/web01-disk1.qcow2', 'web01.qcow2/web01-disk2.qcow2']);
    expect(record.files[0]!.sha256).toBe(await sha256(join(out, 'web01.qcow2', 'web01-disk1.qcow2')));
    for (const [index, sourceVmdk] of vm.disks.entries()) {
      expect(await compare(sourceVmdk, join(out, 'web01.qcow2', `web01-disk${index + 1}.qcow2`), 'qcow2')).toBe('Images are identical.');
    }
  });
});

/** A transform that renames the files it touches, as compression does. */
const renamingTransform = definePlugin({
  name: 'test-fake-compress',
  version: '0.0.0',
  setup(exporter) {
    exporter.hooks.transform.tap('test-fake-compress', (plan) => {
      plan.stages.push({
        name: 'fake-gzip',
        stage: Stage.COMPRESS,
        effect: 'changes-bytes',
        artifacts: ['disk', 'package'],
        rename: (name) => `${name}.gz`,
        create: () => new PassThrough(),
      });
      return plan;
    });
  },
});

/** A destination with no local filesystem, as an upload without --output is. */
const remoteOnlyStore = definePlugin<{ committedPath?: boolean }>({
  name: 'test-remote-only',
  version: '0.0.0',
  options: t.isObject({ committedPath: t.isOptional(t.isBoolean()) }),
  setup(exporter, options) {
    exporter.hooks.store.tap('test-remote-only', (targets) => {
      const sink: ExportSink = {
        description: 'memory://nowhere',
        prepare: async () => undefined,
        createFile: async (artifact) => ({
          stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
          finish: async () => `memory://nowhere/${artifact.name}`,
        }),
        commit: async () => ['memory://nowhere'],
        abort: async () => undefined,
        ...(options?.committedPath ? { committedPath: () => undefined } : {}),
      };
      targets.add(sink);
    });
  },
});

describe('convert-qemu: failures are clear and leave nothing behind', () => {
  it('fails before any data moves when qemu-img is not on PATH', async () => {
    const out = join(work, 'out-no-qemu');
    const emptyBin = join(work, 'empty-bin');
    await mkdir(emptyBin, { recursive: true });
    const path = process.env.PATH;
    process.env.PATH = emptyBin;
    let run: Run;
    try {
      run = await exportWith(undefined, { output: out, extra: { convert: 'qcow2' } });
    } finally {
      process.env.PATH = path;
    }
    expect(run.result.status).toBe('failed');
    expect(run.result.error?.message).toContain(
      '[convert-qemu] qemu-img: qemu-img was not found on PATH (looked for "qemu-img"); disk conversion needs it: install qemu-img: apt-get install qemu-utils',
    );
    expect(run.events.some((entry) => entry.event === 'file:start')).toBe(false);
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('names the configured qemu-img path when it does not exist', async () => {
    const { result } = await exportWith({ qemuImg: join(work, 'nowhere', 'qemu-img') }, { output: join(work, 'out-bad-path'), extra: { convert: 'raw' } });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain(`qemu-img was not found at ${join(work, 'nowhere', 'qemu-img')}`);
  });

  it('refuses --compress or --encrypt together with --convert in the pre-export checks', async () => {
    const out = join(work, 'out-compress');
    const { result, events } = await exportWith(undefined, { output: out, extra: { convert: 'qcow2', compress: 'zstd', encrypt: 'aes' } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('VALIDATION');
    expect(result.error?.message).toContain(
      '[convert-qemu] plain-disks: conversion needs uncompressed, unencrypted disks, but --compress zstd and --encrypt aes are set',
    );
    expect(events.some((entry) => entry.event === 'file:start')).toBe(false);

    // "none" is no compression.
    const plain = await exportWith(undefined, { output: join(work, 'out-compress-none'), extra: { convert: 'raw', compress: 'none', encrypt: 'off' } });
    expect(plain.result.error).toBeUndefined();
  });

  it('refuses a configured transform that rewrites the disks, before the export is written', async () => {
    const out = join(work, 'out-transform');
    const { result, events } = await exportWith(undefined, { output: out, extra: { convert: 'qcow2' } }, [renamingTransform()]);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'CONVERT_NEEDS_PLAIN_DISKS', plugin: 'convert-qemu', hook: 'transform' });
    expect(result.error?.message).toContain('conversion needs uncompressed, unencrypted disks, but the export runs them through fake-gzip');
    expect(events.some((entry) => entry.event === 'file:start')).toBe(false);
  });

  it('rejects an unknown format with the accepted ones (a usage error)', async () => {
    const { result } = await exportWith(undefined, { output: join(work, 'out-vmdk'), extra: { convert: 'vmdk' } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('CONFIG');
    expect(result.error?.message).toContain('--convert "vmdk" is not a format qemu-img conversion can produce; accepted: qcow2, vhd, vhdx, vdi, raw');
  });

  it('fails early without a local copy, and at publish time when a sink keeps no local path', async () => {
    const early = await exportWith(undefined, { extra: { convert: 'qcow2' } }, [remoteOnlyStore()]);
    expect(early.result.status).toBe('failed');
    expect(early.result.error).toMatchObject({ code: 'CONVERT_NO_LOCAL_COPY', hook: 'store' });
    expect(early.result.error?.message).toContain('conversion needs a local copy of the export, but it only goes to memory://nowhere');
    expect(early.result.error?.hint).toContain('give --output DIR');
    expect(early.events.some((entry) => entry.event === 'file:start')).toBe(false);

    const late = await exportWith(undefined, { extra: { convert: 'qcow2' } }, [remoteOnlyStore({ committedPath: true })]);
    expect(late.result.status).toBe('failed');
    expect(late.result.error).toMatchObject({ code: 'CONVERT_NO_LOCAL_COPY', hook: 'published' });
  });

  it('a disk that does not compare identical fails the job and leaves no converted folder', async () => {
    const out = join(work, 'out-mismatch');
    process.env.QEMU_IMG_MISMATCH = '1';
    let run: Run;
    try {
      run = await exportWith({ qemuImg: loggingQemuImg }, { output: out, extra: { convert: 'qcow2' } });
    } finally {
      delete process.env.QEMU_IMG_MISMATCH;
    }
    expect(run.result.status).toBe('failed');
    expect(run.result.error).toMatchObject({ code: 'CONVERT_VERIFY', hook: 'published' });
    expect(run.result.error?.message).toMatch(
      /web01\.qcow2\/web01-disk\d\.qcow2 differs from .*web01.*\.vmdk after conversion: Content mismatch at offset 4096!/,
    );
    expect((await readdir(out)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json']);
  });

  it('cancelling a conversion kills qemu-img and removes the temporary folder', async () => {
    await rm(qemuImgLog, { force: true });
    const out = join(work, 'out-cancel');
    const rate = process.env.QEMU_IMG_RATE;
    // 64 KiB/s: the 8 MiB disk would take minutes (past the test's timeout), so only a kill ends it.
    process.env.QEMU_IMG_RATE = '64k';
    let partialSeen = false;
    let run: Run;
    try {
      run = await exportWith({ qemuImg: loggingQemuImg }, { output: out, parallel: 1, extra: { convert: 'qcow2' } }, [], undefined, (entry, abort) => {
        if (entry.event === 'file:progress' && entry.payload.name.startsWith('web01.qcow2/')) {
          partialSeen = true;
          abort();
        }
      });
    } finally {
      if (rate === undefined) delete process.env.QEMU_IMG_RATE;
      else process.env.QEMU_IMG_RATE = rate;
    }
    expect(partialSeen).toBe(true);
    expect(run.result.status).toBe('cancelled');
    // No temporary folder and no converted folder; the committed export stays as it was.
    expect((await readdir(out)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json']);
    // The qemu-img that was converting is gone.
    const convertLine = (await readFile(qemuImgLog, 'utf8')).split('\n').find((line) => / convert /.test(line))!;
    const pid = Number(convertLine.split(' ')[0]);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});
