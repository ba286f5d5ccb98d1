// What restore says when it cannot do what was asked: a file given as the output folder, and a
// Ctrl-C (not Node's bare "The operation was aborted").
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, restoreExport, runJob } from '@hyperexport/core';
import compress, { reverseStages } from '@hyperexport/compress';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import { cancellationError } from '../core/src/cli/cancellation.ts';
import { runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';

let work: string;
let exported: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-restore-messages-'));
  const vm = await makeVmFolder(join(work, 'vms', 'app01'), 'app01', [16]);
  const exporter = await Exporter.create([sourceLocal(), storeLocal({ fsync: false }), compress()]);
  const result = await runJob(exporter, {
    source: vm.directory,
    output: join(work, 'exports'),
    format: 'ova',
    parallel: 1,
    overwrite: false,
    extra: { compress: 'gzip' },
  });
  expect(result.status, result.error?.message).toBe('succeeded');
  exported = join(work, 'exports', 'app01.ova.gz');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('restore messages', () => {
  it('--output naming a file is a usage error that says so, not a bare EEXIST', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, 'not a folder\n');
    const run = await runCli(['restore', exported, '--output', file], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: the output ${file} is a file, not a folder\n`);
    expect(run.stderr).toContain('hint: give --output a folder (made if missing)');
    expect(run.stderr).not.toContain('EEXIST');
  });

  it('a cancelled restore says what was cancelled and why, and leaves nothing in the output', async () => {
    const output = join(work, 'restored');
    const controller = new AbortController();
    const error = await restoreExport(exported, output, {
      stages: reverseStages,
      keys: { privateKeyFiles: [], passphrase: () => Promise.reject(new Error('no passphrase in this test')) },
      signal: controller.signal,
      overwrite: false,
      onProgress: (_name, bytes) => {
        if (bytes > 0) controller.abort(new Error('interrupted by SIGINT'));
      },
    }).catch((caught: unknown) => cancellationError('restore', 'nothing partial was left in the output', controller.signal, caught));
    expect(error).toMatchObject({ code: 'CANCELLED', message: 'restore cancelled: interrupted by SIGINT; nothing partial was left in the output' });
    expect(await readdir(output)).toEqual([]);
  });
});
