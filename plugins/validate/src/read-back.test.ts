// readBackWrittenExport on its own: the cases the pipeline tests (test/validate-read-back.test.ts)
// do not reach, given a WrittenExport as the core builds it.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredFile, TransformedFile, WrittenExport } from '@hyperexport/core';
import { readBackWrittenExport } from './read-back.ts';
import { flipByte } from './testing/exports.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-read-back-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** One stored file `name` with `content`, staged at one path, that `transformed` describes. */
async function writtenWith(name: string, content: Buffer, transformed: TransformedFile): Promise<{ written: WrittenExport; path: string }> {
  const path = join(work, name);
  await writeFile(path, content);
  const file: StoredFile = { name, kind: 'package', size: content.length, sha256: sha256(content), locations: [path] };
  return {
    path,
    written: { baseName: 'web', format: 'ova', files: [file], stagedPaths: new Map([[name, [path]]]), transformed: new Map([[name, transformed]]) },
  };
}

describe('readBackWrittenExport', () => {
  it('a file whose plain bytes were not hashed (adopted from an interrupted run): says so, and compares it with what was written', async () => {
    const content = Buffer.from('stored bytes of web.ova.zst');
    const adopted: TransformedFile = { plainName: 'web.ova', stages: ['zstd'], reverse: async () => [new PassThrough()] };
    const { written, path } = await writtenWith('web.ova.zst', content, adopted);
    const intact = await readBackWrittenExport(written);
    expect(intact.issues).toEqual([]);
    expect(intact.notes).toEqual([
      'web.ova.zst was not read back: its bytes before zstd were not hashed as it was written (an interrupted run that did not hash them wrote it, and this run continued from it); it was compared with the SHA-256 recorded as it was written, which shows damage after writing but not a stage that wrote wrong bytes',
    ]);

    flipByte(path, 3);
    const damaged = await readBackWrittenExport(written);
    expect(damaged.issues).toEqual([
      {
        level: 'error',
        check: 'read-back',
        plugin: 'validate',
        message: expect.stringMatching(
          /^web\.ova\.zst: it changed after it was written \(its SHA-256 is [0-9a-f]{64}, [0-9a-f]{64} was written\); export the VM again/,
        ),
      },
    ]);
  });

  it('a staged file that is gone is an issue naming it, not a crash of the check', async () => {
    const content = Buffer.from('plain');
    const { written, path } = await writtenWith('web.ova.x', content, {
      plainName: 'web.ova',
      stages: ['x'],
      plain: { name: 'web.ova', size: 5, sha256: sha256(content) },
      reverse: async () => [new PassThrough()],
    });
    await unlink(path);
    const { issues } = await readBackWrittenExport(written);
    expect(issues).toEqual([
      {
        level: 'error',
        check: 'read-back',
        plugin: 'validate',
        message: expect.stringMatching(new RegExp(`^web\\.ova\\.x: cannot read ${path.replaceAll('.', '\\.')}: .*ENOENT`)),
      },
    ]);
  });
});
