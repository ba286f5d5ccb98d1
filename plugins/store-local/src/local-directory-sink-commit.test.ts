// How LocalDirectorySink publishes an export, in process with the real filesystem: files staged
// and checked, renamed into place on commit with their record last, an existing export replaced
// only with overwrite (and then all of it, also files stored under other names), an export that
// appeared meanwhile refused, and nothing left behind on failure. The CLI tests cover the same
// paths end to end, but in a child process where mutation testing cannot see them.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Artifact, ArtifactKind, ExportLayout } from '@hyperexport/core';
import { LocalDirectorySink } from './local-directory-sink.ts';

let out: string;
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'hyperexport-sink-commit-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

const signal = new AbortController().signal;
const SOURCE = 'a'.repeat(16);
const SETTINGS = '1'.repeat(16);
const STAGING = `.hyperexport-${SOURCE}-${SETTINGS}.partial`;
const ovf = (overwrite = false): ExportLayout => ({ baseName: 'web01', format: 'ovf', overwrite, jobKey: { source: SOURCE, settings: SETTINGS } });
const ova = (overwrite = false): ExportLayout => ({ baseName: 'web01', format: 'ova', overwrite, jobKey: { source: SOURCE, settings: SETTINGS } });
const OVERWRITE_HINT = 'give --overwrite to replace it, or --name to write another';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function sinkIn(directory = out, options: { verify?: boolean; fsync?: boolean } = {}): LocalDirectorySink {
  return new LocalDirectorySink(directory, { fsync: options.fsync ?? false, verify: options.verify ?? true });
}

/** Writes `content` as `name` through the sink and finishes it with `claimed` (what was sent). */
async function put(
  sink: LocalDirectorySink,
  name: string,
  kind: ArtifactKind,
  content: string,
  claimed: { size?: number; sha256?: string } = {},
): Promise<string> {
  const artifact: Artifact = { name, kind, sourceSize: content.length };
  const file = await sink.createFile(artifact, signal);
  file.stream.end(content);
  await finished(file.stream);
  return file.finish({ name, size: claimed.size ?? Buffer.byteLength(content), sha256: claimed.sha256 ?? sha256(content) });
}

function recordOf(files: readonly string[]): string {
  return JSON.stringify({ kind: 'hyperexport-export', version: 1, files: files.map((path) => ({ path, size: 1, sha256: '0'.repeat(64) })) });
}

/** A complete earlier OVF export `web01/` with its record, as a previous run published it. */
async function publishedBefore(extra: readonly string[] = []): Promise<void> {
  await mkdir(join(out, 'web01'));
  await writeFile(join(out, 'web01', 'old.vmdk'), 'old disk');
  await writeFile(join(out, 'web01.ovf.hyperexport.json'), recordOf(['web01/old.vmdk', ...extra]));
}

describe('LocalDirectorySink publishing', () => {
  it('publishes an OVF folder and its record on commit, and removes the staging folder', async () => {
    const sink = sinkIn(out, { fsync: true });
    await sink.prepare(ovf());
    expect(sink.description).toBe(`file://${join(out, 'web01')}`);
    expect(sink.committedPath('web01.ovf')).toBeUndefined();
    expect(await put(sink, 'web01.ovf', 'descriptor', '<ovf/>')).toBe(join(out, 'web01', 'web01.ovf'));
    expect(await put(sink, 'disk1.vmdk', 'disk', 'disk bytes')).toBe(join(out, 'web01', 'disk1.vmdk'));
    expect(await put(sink, 'web01.ovf.hyperexport.json', 'record', '{"r":1}')).toBe(join(out, 'web01.ovf.hyperexport.json'));
    // Nothing is visible under its final name before the commit.
    expect((await readdir(out)).sort()).toEqual([STAGING]);
    expect(await sink.commit()).toEqual([join(out, 'web01')]);
    expect((await readdir(out)).sort()).toEqual(['web01', 'web01.ovf.hyperexport.json']);
    expect((await readdir(join(out, 'web01'))).sort()).toEqual(['disk1.vmdk', 'web01.ovf']);
    expect(await readFile(join(out, 'web01', 'disk1.vmdk'), 'utf8')).toBe('disk bytes');
    expect(await readFile(join(out, 'web01.ovf.hyperexport.json'), 'utf8')).toBe('{"r":1}');
    expect(sink.committedPath('disk1.vmdk')).toBe(join(out, 'web01', 'disk1.vmdk'));
    expect(sink.stagedPath('disk1.vmdk')).toBeUndefined();
  });

  it('publishes an OVA package under the name transforms gave it, beside its record', async () => {
    const sink = sinkIn();
    await sink.prepare(ova());
    expect(sink.spoolDirectory()).toBe(join(out, STAGING, 'spool'));
    expect(await put(sink, 'web01.ova.zst', 'package', 'packed')).toBe(join(out, 'web01.ova.zst'));
    await put(sink, 'web01.ova.hyperexport.json', 'record', '{}');
    expect(sink.description).toBe(`file://${join(out, 'web01.ova.zst')}`);
    expect(await sink.commit()).toEqual([join(out, 'web01.ova.zst')]);
    expect((await readdir(out)).sort()).toEqual(['web01.ova.hyperexport.json', 'web01.ova.zst']);
    expect(await readFile(join(out, 'web01.ova.zst'), 'utf8')).toBe('packed');
  });

  it('names the staging folder after the export when no job key is given', async () => {
    const sink = sinkIn();
    await sink.prepare({ baseName: 'web01', format: 'ova', overwrite: false });
    expect(sink.description).toBe(`file://${join(out, 'web01.ova')}`);
    expect(sink.checkpointPath()).toBe(join(out, '.web01.partial', 'checkpoint.json'));
    await put(sink, 'web01.ova', 'package', 'ova');
    expect(await sink.commit()).toEqual([join(out, 'web01.ova')]);
    expect(await readdir(out)).toEqual(['web01.ova']);
  });

  it('answers nothing, and refuses to write, before prepare', async () => {
    const sink = sinkIn();
    expect(sink.description).toBe(`file://${out}`);
    expect(sink.spoolDirectory()).toBeUndefined();
    expect(sink.checkpointPath()).toBeUndefined();
    expect(sink.stagedPath('disk1.vmdk')).toBeUndefined();
    expect(sink.committedPath('disk1.vmdk')).toBeUndefined();
    await expect(sink.createFile({ name: 'disk1.vmdk', kind: 'disk' }, signal)).rejects.toThrow('LocalDirectorySink used before prepare()');
  });

  it('refuses a file name that would leave the export folder', async () => {
    const sink = sinkIn();
    await sink.prepare(ovf());
    await expect(sink.createFile({ name: '../escape.vmdk', kind: 'disk' }, signal)).rejects.toThrow('export file: unsafe file name "../escape.vmdk"');
    await sink.abort();
    expect(await readdir(out)).toEqual([]);
  });
});

describe('LocalDirectorySink checks of each file', () => {
  it('refuses a file shorter or longer than what was sent', async () => {
    const sink = sinkIn(out, { verify: false });
    await sink.prepare(ovf());
    await expect(put(sink, 'disk1.vmdk', 'disk', 'abc', { size: 4 })).rejects.toMatchObject({
      code: 'VERIFY',
      message: expect.stringContaining('wrote 3 bytes, expected 4'),
    });
  });

  it('with verify, refuses a file whose bytes on disk do not hash to what was sent', async () => {
    const sink = sinkIn(out, { verify: true });
    await sink.prepare(ovf());
    await expect(put(sink, 'disk1.vmdk', 'disk', 'abc', { sha256: sha256('abd') })).rejects.toMatchObject({
      code: 'VERIFY',
      message: expect.stringContaining(`does not match what was sent (SHA-256 ${sha256('abc')}, expected ${sha256('abd')})`),
    });
  });

  it('without verify, does not read the file back', async () => {
    const sink = sinkIn(out, { verify: false });
    await sink.prepare(ovf());
    expect(await put(sink, 'disk1.vmdk', 'disk', 'abc', { sha256: sha256('abd') })).toBe(join(out, 'web01', 'disk1.vmdk'));
  });

  it('writes a file that has to start again anew, not appended to what is staged', async () => {
    const sink = sinkIn();
    await sink.prepare(ovf());
    await put(sink, 'disk1.vmdk', 'disk', 'first attempt, longer');
    await put(sink, 'disk1.vmdk', 'disk', 'second');
    expect(await readFile(sink.stagedPath('disk1.vmdk')!, 'utf8')).toBe('second');
  });
});

describe('LocalDirectorySink continuing a run (checkpoint)', () => {
  async function stageThenStop(withCheckpoint: boolean): Promise<void> {
    const first = sinkIn();
    await first.prepare(ovf());
    await put(first, 'disk1.vmdk', 'disk', 'done disk');
    await mkdir(join(out, STAGING, 'spool'));
    await writeFile(join(out, STAGING, 'spool', 'disk2.vmdk'), 'spooled');
    if (withCheckpoint) await writeFile(first.checkpointPath()!, '{}');
    // A crash: the run is gone without abort; its lock names this live process, so drop it.
    await rm(join(out, STAGING, 'lock'));
  }

  it('adopts a staged file whose size and digest match the checkpoint, and no other', async () => {
    await stageThenStop(true);
    const again = sinkIn();
    await again.prepare(ovf());
    const artifact: Artifact = { name: 'disk1.vmdk', kind: 'disk' };
    expect(await again.adoptFile(artifact, { name: 'disk1.vmdk', size: 9, sha256: sha256('done disk') }, signal)).toBe(join(out, 'web01', 'disk1.vmdk'));
    expect(await again.adoptFile(artifact, { name: 'disk1.vmdk', size: 9, sha256: sha256('done diss') }, signal)).toBeUndefined();
    expect(await again.adoptFile(artifact, { name: 'disk1.vmdk', size: 8, sha256: sha256('done disk') }, signal)).toBeUndefined();
    expect(await again.adoptFile({ name: 'disk3.vmdk', kind: 'disk' }, { name: 'disk3.vmdk', size: 0, sha256: sha256('') }, signal)).toBeUndefined();
    expect(await readFile(join(out, STAGING, 'spool', 'disk2.vmdk'), 'utf8')).toBe('spooled');
    await again.abort();
  });

  it('empties a staging folder without a checkpoint: it cannot be continued', async () => {
    await stageThenStop(false);
    const again = sinkIn();
    await again.prepare(ovf());
    expect((await readdir(join(out, STAGING))).sort()).toEqual(['files', 'lock']);
    expect(await readdir(join(out, STAGING, 'files'))).toEqual([]);
    await again.abort();
  });

  it('refuses to prepare while another live run holds the staging folder, and leaves it alone', async () => {
    const first = sinkIn();
    await first.prepare(ovf());
    await put(first, 'disk1.vmdk', 'disk', 'theirs');
    const second = sinkIn();
    await expect(second.prepare(ovf())).rejects.toMatchObject({
      code: 'EXPORT_LOCKED',
      message: expect.stringContaining(`another export is writing ${join(out, 'web01')}`),
      hint: 'wait for it to finish, or stop it',
    });
    expect(await readFile(first.stagedPath('disk1.vmdk')!, 'utf8')).toBe('theirs');
    await first.abort();
    expect(await readdir(out)).toEqual([]);
  });
});

describe('LocalDirectorySink and an existing export', () => {
  it('refuses to start over an existing export folder or record without overwrite', async () => {
    await mkdir(join(out, 'web01'));
    await expect(sinkIn().prepare(ovf())).rejects.toMatchObject({
      code: 'EXPORT_EXISTS',
      message: `an export already exists at ${join(out, 'web01')}`,
      hint: OVERWRITE_HINT,
    });
    await rm(join(out, 'web01'), { recursive: true });
    await writeFile(join(out, 'web01.ovf.hyperexport.json'), '{}');
    await expect(sinkIn().prepare(ovf())).rejects.toMatchObject({
      code: 'EXPORT_EXISTS',
      message: `an export already exists at ${join(out, 'web01.ovf.hyperexport.json')}`,
      hint: OVERWRITE_HINT,
    });
    // Nothing was staged for a refused export.
    expect(await readdir(out)).toEqual(['web01.ovf.hyperexport.json']);
  });

  it('refuses to publish over an export that appeared while it was written, and keeps that one', async () => {
    for (const appeared of ['web01', 'web01.ovf.hyperexport.json']) {
      const sink = sinkIn();
      await sink.prepare(ovf());
      await put(sink, 'disk1.vmdk', 'disk', 'mine');
      await put(sink, 'web01.ovf.hyperexport.json', 'record', 'my record');
      if (appeared === 'web01') await mkdir(join(out, 'web01'));
      else await writeFile(join(out, appeared), 'their record');
      await expect(sink.commit()).rejects.toMatchObject({
        code: 'EXPORT_EXISTS',
        message: `an export appeared at ${join(out, appeared)} while this one was written`,
        hint: OVERWRITE_HINT,
      });
      await sink.abort();
      expect(await readdir(out)).toEqual([appeared]);
      await rm(join(out, appeared), { recursive: true });
    }
  });

  it('with overwrite, replaces the export and removes every file of the old record, however stored', async () => {
    await publishedBefore(['web01.ova.zst', 'notes/a.txt', '../outside.txt', '']);
    await writeFile(join(out, 'web01.ova.zst'), 'old package');
    await mkdir(join(out, 'notes'));
    await writeFile(join(out, 'notes', 'a.txt'), 'old');
    await writeFile(join(out, 'unrelated.txt'), 'keep');
    await writeFile(join(tmpdir(), `outside-${process.pid}.txt`), 'keep');
    const sink = sinkIn(out, { fsync: true });
    await sink.prepare(ovf(true));
    await put(sink, 'disk1.vmdk', 'disk', 'new disk');
    await put(sink, 'web01.ovf.hyperexport.json', 'record', recordOf(['web01/disk1.vmdk']));
    expect(await sink.commit()).toEqual([join(out, 'web01')]);
    expect((await readdir(out)).sort()).toEqual(['unrelated.txt', 'web01', 'web01.ovf.hyperexport.json']);
    expect(await readdir(join(out, 'web01'))).toEqual(['disk1.vmdk']);
    expect(JSON.parse(await readFile(join(out, 'web01.ovf.hyperexport.json'), 'utf8'))).toMatchObject({ files: [{ path: 'web01/disk1.vmdk' }] });
    await rm(join(tmpdir(), `outside-${process.pid}.txt`));
  });

  it('with overwrite, never removes a path of the old record outside the output folder', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'hyperexport-sink-outside-'));
    try {
      await writeFile(join(outside, 'keep.txt'), 'keep');
      // The record's paths are relative to its folder; `..` and a sibling folder named like the output must survive.
      const sibling = `${out}-sibling`;
      await mkdir(sibling);
      await publishedBefore([`../${sibling.split('/').pop()!}`, `../${outside.split('/').pop()!}/keep.txt`]);
      const sink = sinkIn();
      await sink.prepare(ovf(true));
      await put(sink, 'disk1.vmdk', 'disk', 'new disk');
      await sink.commit();
      expect(await readFile(join(outside, 'keep.txt'), 'utf8')).toBe('keep');
      expect((await stat(sibling)).isDirectory()).toBe(true);
      await rm(sibling, { recursive: true });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('with overwrite, keeps the new export when the old record names files inside it', async () => {
    await publishedBefore(['web01']);
    const sink = sinkIn();
    await sink.prepare(ovf(true));
    await put(sink, 'disk1.vmdk', 'disk', 'new disk');
    await sink.commit();
    expect(await readdir(join(out, 'web01'))).toEqual(['disk1.vmdk']);
    // No record in this export: the old one went first, and the replaced folder is gone.
    expect(await readdir(out)).toEqual(['web01']);
  });

  it('with overwrite, publishes where no export was before', async () => {
    const sink = sinkIn();
    await sink.prepare(ova(true));
    await put(sink, 'web01.ova', 'package', 'new');
    expect(await sink.commit()).toEqual([join(out, 'web01.ova')]);
    expect(await readdir(out)).toEqual(['web01.ova']);
  });

  it('with overwrite, ignores an old record that cannot be read', async () => {
    await mkdir(join(out, 'web01'));
    await writeFile(join(out, 'web01', 'old.vmdk'), 'old');
    await writeFile(join(out, 'web01.ovf.hyperexport.json'), 'not json');
    const sink = sinkIn();
    await sink.prepare(ovf(true));
    await put(sink, 'disk1.vmdk', 'disk', 'new');
    await put(sink, 'web01.ovf.hyperexport.json', 'record', 'new record');
    await sink.commit();
    expect(await readdir(join(out, 'web01'))).toEqual(['disk1.vmdk']);
    expect(await readFile(join(out, 'web01.ovf.hyperexport.json'), 'utf8')).toBe('new record');
  });
});

describe('LocalDirectorySink output folder', () => {
  it('creates a missing output folder', async () => {
    const sink = sinkIn(join(out, 'a', 'b'));
    await sink.prepare(ovf());
    expect((await stat(join(out, 'a', 'b', STAGING))).isDirectory()).toBe(true);
    await sink.abort();
    expect(await readdir(join(out, 'a', 'b'))).toEqual([]);
  });

  it('refuses an output that is a file, naming it', async () => {
    await writeFile(join(out, 'file'), 'x');
    await expect(sinkIn(join(out, 'file')).prepare(ovf())).rejects.toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      message: `output directory ${join(out, 'file')} is not a directory`,
      hint: 'choose another --output or fix its permissions',
    });
    await expect(sinkIn(join(out, 'file', 'below')).prepare(ovf())).rejects.toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      message: `output directory ${join(out, 'file', 'below')} is not a directory`,
    });
  });

  it('names the error of an output folder that cannot be created', async () => {
    const long = join(out, 'x'.repeat(300));
    await expect(sinkIn(long).prepare(ovf())).rejects.toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      message: `output directory ${long} cannot be created (ENAMETOOLONG)`,
    });
  });

  it('does not sweep a superseded staging folder that has no lock yet (being created)', async () => {
    const creating = join(out, `.hyperexport-${SOURCE}-${'2'.repeat(16)}.partial`);
    await mkdir(join(creating, 'files'), { recursive: true });
    await writeFile(join(creating, 'files', 'disk.vmdk'), 'x');
    const withDeadLock = join(out, `.hyperexport-${SOURCE}-${'3'.repeat(16)}.partial`);
    await mkdir(withDeadLock);
    await writeFile(join(withDeadLock, 'lock'), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), at: '2026-01-01T00:00:00Z', token: 'b'.repeat(32) }));
    await writeFile(join(withDeadLock, 'checkpoint.json'), '{}');
    const sink = sinkIn();
    await sink.prepare(ovf());
    expect(await readFile(join(creating, 'files', 'disk.vmdk'), 'utf8')).toBe('x');
    expect((await readdir(out)).sort()).toEqual([STAGING, `.hyperexport-${SOURCE}-${'2'.repeat(16)}.partial`].sort());
    await sink.abort();
  });

  it('without a job key, leaves every job-keyed staging folder alone, even a dead one', async () => {
    const dead = join(out, `.hyperexport-${SOURCE}-${'2'.repeat(16)}.partial`);
    await mkdir(dead);
    await writeFile(join(dead, 'lock'), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), at: '2026-01-01T00:00:00Z', token: 'b'.repeat(32) }));
    await writeFile(join(dead, 'checkpoint.json'), '{}');
    const sink = sinkIn();
    await sink.prepare({ baseName: 'web01', format: 'ovf', overwrite: false });
    expect(await readFile(join(dead, 'checkpoint.json'), 'utf8')).toBe('{}');
    await sink.abort();
    expect(await readdir(out)).toEqual([`.hyperexport-${SOURCE}-${'2'.repeat(16)}.partial`]);
  });
});
