// In a shared output folder someone else can plant a link (or a folder of their own) where the
// sink stages an export: nothing may be written through it into the file it points at.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExportError } from '@hyperexport/core';
import type { ExportLayout } from '@hyperexport/core';
import { LocalDirectorySink } from './local-directory-sink.ts';

let out: string;
let victims: string;
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'hyperexport-sink-links-'));
  victims = await mkdtemp(join(tmpdir(), 'hyperexport-sink-victims-'));
  await writeFile(join(victims, 'precious.conf'), 'precious\n');
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
  await rm(victims, { recursive: true, force: true });
});

const layout: ExportLayout = { baseName: 'web01', format: 'ovf', overwrite: false, jobKey: { source: 'a'.repeat(16), settings: 'b'.repeat(16) } };
const staging = () => join(out, `.hyperexport-${'a'.repeat(16)}-${'b'.repeat(16)}.partial`);
const signal = AbortSignal.timeout(10_000);

describe('LocalDirectorySink and links planted in the output folder', () => {
  it('refuses a staging folder that is a link, and writes nothing where it points', async () => {
    await symlink(victims, staging());
    const sink = new LocalDirectorySink(out, { fsync: false, verify: true });
    const refusal = await sink.prepare(layout).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ExportError);
    expect(refusal).toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      message: `the staging folder ${staging()} is not a folder (a link or a file): refusing to write the export through it`,
      hint: 'remove it (it is not an export of yours), or choose another --output',
    });
    expect(await readdir(victims)).toEqual(['precious.conf']);
  });

  it('refuses a staging folder that another user made, and writes nothing into it', async () => {
    await mkdir(staging(), { mode: 0o777 });
    await chown(staging(), 65534, 65534);
    const sink = new LocalDirectorySink(out, { fsync: false, verify: true });
    await expect(sink.prepare(layout)).rejects.toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      message: `the staging folder ${staging()} belongs to user id 65534, not to this one (${process.getuid!()}): refusing to write the export through it`,
    });
    expect(await readdir(staging())).toEqual([]);
  });

  it('writes a staged file anew, never through a link found at its name', async () => {
    const sink = new LocalDirectorySink(out, { fsync: false, verify: true });
    await sink.prepare(layout);
    await symlink(join(victims, 'precious.conf'), sink.stagedPath('disk.vmdk')!);
    const file = await sink.createFile({ name: 'disk.vmdk', kind: 'disk' }, signal);
    await pipeline(Readable.from([Buffer.from('disk bytes')]), file.stream);
    await file.finish({ name: 'disk.vmdk', size: 10, sha256: createHash('sha256').update('disk bytes').digest('hex') });
    expect(await readFile(join(victims, 'precious.conf'), 'utf8')).toBe('precious\n');
    expect(await readFile(sink.stagedPath('disk.vmdk')!, 'utf8')).toBe('disk bytes');
    await sink.abort();
  });
  it('does not sweep through a link named like a superseded staging folder: the folder it points at keeps its files', async () => {
    // A dead run's lock where the link points: the sweep would take it over and empty the folder.
    const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    await writeFile(join(victims, 'lock'), JSON.stringify({ pid: deadPid, host: hostname(), at: '2026-01-01T00:00:00Z', token: 'c'.repeat(32) }));
    const planted = join(out, `.hyperexport-${'a'.repeat(16)}-${'f'.repeat(16)}.partial`);
    await symlink(victims, planted);
    const sink = new LocalDirectorySink(out, { fsync: false, verify: true });
    await sink.prepare(layout);
    expect((await readdir(victims)).sort()).toEqual(['lock', 'precious.conf']);
    expect(await readFile(join(victims, 'precious.conf'), 'utf8')).toBe('precious\n');
    await sink.abort();
  });

  it('does not sweep a superseded staging folder that another user made', async () => {
    const theirs = join(out, `.hyperexport-${'a'.repeat(16)}-${'f'.repeat(16)}.partial`);
    await mkdir(theirs);
    const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    await writeFile(join(theirs, 'lock'), JSON.stringify({ pid: deadPid, host: hostname(), at: '2026-01-01T00:00:00Z', token: 'c'.repeat(32) }));
    await writeFile(join(theirs, 'their.file'), 'theirs');
    await chown(theirs, 65534, 65534);
    const sink = new LocalDirectorySink(out, { fsync: false, verify: true });
    await sink.prepare(layout);
    expect((await readdir(theirs)).sort()).toEqual(['lock', 'their.file']);
    await sink.abort();
  });
});
