// The pre-export checks against real folders; where root would see through permissions or a
// disk would have to be filled, the file system probe is replaced for that one call.
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec, SourceInfo } from '@hyperexport/core';
import { boundedCheck, checkExistingExport, checkFreeSpace, checkOutput, checkPowerState, nearestExisting, nodeFileSystem } from './pre-checks.ts';
import type { FileSystemProbe } from './pre-checks.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-validate-pre-'));
  await writeFile(join(work, 'a-file'), 'not a folder');
  await mkdir(join(work, 'locked'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const spec = (overrides: Partial<JobSpec> = {}): JobSpec => ({ format: 'ova', parallel: 4, overwrite: false, extra: {}, ...overrides });

/** The real file system, except that `locked` refuses writes (as it would for a non-root user). */
const lockedFs: FileSystemProbe = {
  ...nodeFileSystem,
  access: async (path, mode) => {
    if (path === join(work, 'locked') && (mode & constants.W_OK) !== 0)
      throw Object.assign(new Error(`EACCES: permission denied, access '${path}'`), { code: 'EACCES' });
    return access(path, mode);
  },
};

/** The real file system with a made-up amount of free space. */
const withFree = (bytes: number): FileSystemProbe => ({ ...nodeFileSystem, statfs: () => Promise.resolve({ bavail: BigInt(bytes / 4096), bsize: 4096 }) });

describe('bounded pre-checks', () => {
  it('turn a check that does not finish in time into an error naming it', async () => {
    const started = Date.now();
    const issues = await boundedCheck('free-space', () => new Promise(() => undefined), 50);
    expect(issues).toEqual([
      expect.objectContaining({
        level: 'error',
        check: 'free-space',
        message: expect.stringMatching(/^the free-space pre-check did not finish within 50 ms: /),
      }),
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('output', () => {
  it('refuses a folder on a kernel pseudo file system (/proc, /sys), naming it', async () => {
    expect(await checkOutput('/proc/hyperexport-test')).toEqual([
      expect.objectContaining({
        level: 'error',
        check: 'output',
        message: expect.stringMatching(/^output directory \/proc\/hyperexport-test is on proc, a kernel pseudo file system/),
      }),
    ]);
    expect(await checkOutput('/sys/hyperexport-test')).toEqual([expect.objectContaining({ message: expect.stringContaining('is on sysfs') })]);
  });

  it('an existing writable folder, or one that can be created under it, passes and nothing is created', async () => {
    expect(await checkOutput(work)).toEqual([]);
    expect(await checkOutput(join(work, 'new', 'deeper'))).toEqual([]);
    await expect(stat(join(work, 'new'))).rejects.toThrow('ENOENT');
  });

  it('a path under a regular file cannot be created', async () => {
    const output = join(work, 'a-file', 'exports');
    expect(await checkOutput(output)).toEqual([
      {
        level: 'error',
        check: 'output',
        plugin: 'validate',
        message: `output directory ${output} cannot be created: ${join(work, 'a-file')} is a file, not a directory; choose another --output`,
      },
    ]);
  });

  it('an output that is a file is not a directory', async () => {
    const output = join(work, 'a-file');
    expect((await checkOutput(output))[0]!.message).toBe(`output directory ${output} is not a directory (it is a file): choose another --output`);
  });

  it('an unwritable folder, or an unwritable parent of a folder to create', async () => {
    const locked = join(work, 'locked');
    expect((await checkOutput(locked, lockedFs))[0]!.message).toBe(
      `output directory ${locked} is not writable: choose another --output or fix its permissions`,
    );
    expect((await checkOutput(join(locked, 'sub'), lockedFs))[0]!.message).toBe(
      `output directory ${join(locked, 'sub')} cannot be created: ${locked} is not writable; choose another --output or fix the permissions of ${locked}`,
    );
    expect(await checkOutput(join(work, 'elsewhere'), lockedFs)).toEqual([]);
  });

  it('a relative output is checked where it resolves', async () => {
    expect(await nearestExisting('.')).toEqual({ path: process.cwd(), isDirectory: true, isTarget: true });
  });
});

describe('free-space', () => {
  const source = (committedBytes: number | undefined, provisionedBytes = committedBytes): SourceInfo => ({ name: 'web01', committedBytes, provisionedBytes });

  it('passes when the committed storage plus the margin is free', async () => {
    expect(await checkFreeSpace(work, source(100 * MiB), 0.1, withFree(200 * MiB))).toEqual([]);
    expect(await checkFreeSpace(work, source(100 * MiB), 0.1, withFree(110 * MiB))).toEqual([]);
  });

  it('fails when the margin does not fit, naming what is needed and what is free', async () => {
    const issues = await checkFreeSpace(join(work, 'not-yet'), source(100 * MiB), 0.1, withFree(105 * MiB));
    expect(issues).toEqual([
      {
        level: 'error',
        check: 'free-space',
        plugin: 'validate',
        message: `not enough free space at ${work}: the export needs up to 110.0 MiB (the 100.0 MiB the VM uses plus a 10% margin) and 105.0 MiB is free; free some space or choose another --output (or lower the validate plugin's freeSpaceMargin)`,
      },
    ]);
    expect(await checkFreeSpace(work, source(100 * MiB), 0, withFree(105 * MiB))).toEqual([]);
  });

  it('thin disks: only the committed storage counts, not the provisioned capacity', async () => {
    expect(await checkFreeSpace(work, source(40 * MiB, 2 * 1024 * 1024 * MiB), 0.1, withFree(100 * MiB))).toEqual([]);
  });

  it('a warning when the source does not say how much the VM uses', async () => {
    for (const unknown of [undefined, source(undefined)]) {
      expect(await checkFreeSpace(work, unknown, 0.1, withFree(0))).toEqual([
        {
          level: 'warning',
          check: 'free-space',
          plugin: 'validate',
          message: `could not check the free space at ${work}: the source does not tell how much storage the VM uses; make sure the export fits there`,
        },
      ]);
    }
  });

  it('asks the real file system by default', async () => {
    expect(await checkFreeSpace(work, source(1))).toEqual([]);
    expect((await checkFreeSpace(work, source(Number.MAX_SAFE_INTEGER)))[0]).toMatchObject({ level: 'error', check: 'free-space' });
  });
});

describe('power-state', () => {
  const on: SourceInfo = { name: 'web01', path: '/DC0/vm/web01', powerState: 'poweredOn' };

  it('a powered-on VM without a snapshot option is refused', () => {
    expect(checkPowerState(spec(), on)).toEqual([
      {
        level: 'error',
        check: 'power-state',
        plugin: 'validate',
        message: '/DC0/vm/web01 is powered on: power it off, or export from a snapshot (--snapshot-before, or --snapshot NAME)',
      },
    ]);
    expect(checkPowerState(spec({ extra: { snapshotBefore: false, snapshot: '' } }), { name: 'web01', powerState: 'poweredOn' })[0]!.message).toMatch(
      /^web01 is powered on/,
    );
  });

  it('a snapshot option, or a VM that is not running, passes', () => {
    expect(checkPowerState(spec({ extra: { snapshotBefore: true } }), on)).toEqual([]);
    expect(checkPowerState(spec({ extra: { snapshot: 'nightly' } }), on)).toEqual([]);
    expect(checkPowerState(spec(), { ...on, powerState: 'poweredOff' })).toEqual([]);
    expect(checkPowerState(spec(), { ...on, powerState: 'suspended' })).toEqual([]);
    expect(checkPowerState(spec(), undefined)).toEqual([]);
  });
});

describe('existing-export', () => {
  beforeAll(async () => {
    await mkdir(join(work, 'out', 'web01'), { recursive: true });
    await writeFile(join(work, 'out', 'web01.ova'), '');
  });
  const output = () => join(work, 'out');

  it('an OVA or OVF folder of the same name is refused without --overwrite', async () => {
    expect(await checkExistingExport(spec({ output: output() }), { name: 'web01' })).toEqual([
      {
        level: 'error',
        check: 'existing-export',
        plugin: 'validate',
        message: `an export already exists at ${join(output(), 'web01.ova')}: give --overwrite to replace it, or --name to write another`,
      },
    ]);
    expect((await checkExistingExport(spec({ output: output(), format: 'ovf', name: 'web01' }), undefined))[0]!.message).toContain(
      `at ${join(output(), 'web01')}:`,
    );
  });

  it('passes with --overwrite, another --name, or another format with no export yet', async () => {
    expect(await checkExistingExport(spec({ output: output(), overwrite: true }), { name: 'web01' })).toEqual([]);
    expect(await checkExistingExport(spec({ output: output(), name: 'web02' }), { name: 'web01' })).toEqual([]);
    expect(await checkExistingExport(spec({ output: output(), format: 'ovf' }), { name: 'db01' })).toEqual([]);
  });

  it('the name is the one the export will get: --name over the VM name, made safe as a file name', async () => {
    await writeFile(join(output(), 'a_b.ova'), '');
    expect(await checkExistingExport(spec({ output: output(), name: 'a/b' }), { name: 'web02' })).toHaveLength(1);
    expect(await checkExistingExport(spec({ output: output() }), { name: 'a/b' })).toHaveLength(1);
  });

  it('nothing to check without an output or a name', async () => {
    expect(await checkExistingExport(spec(), { name: 'web01' })).toEqual([]);
    expect(await checkExistingExport(spec({ output: output() }), undefined)).toEqual([]);
    expect(await checkExistingExport(spec({ output: output(), name: '..' }), undefined)).toEqual([]);
  });
});
