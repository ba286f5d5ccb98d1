// The local store's staging folder: keyed by the job, swept when a dead run's folder of the same
// source can never be continued, and left alone when another run took its lock over.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExportLayout } from '@hyperexport/core';
import { LocalDirectorySink } from './local-directory-sink.ts';

let out: string;
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'hyperexport-sink-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

const SOURCE = 'a'.repeat(16);
const layout = (settings: string, baseName = 'web01'): ExportLayout => ({ baseName, format: 'ovf', overwrite: false, jobKey: { source: SOURCE, settings } });
const stagingOf = (source: string, settings: string) => `.hyperexport-${source}-${settings}.partial`;

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

/** A staging folder as a run left it: a lock (of `pid`), a checkpoint, a half-written disk. */
async function leftBehind(name: string, pid: number): Promise<string> {
  const folder = join(out, name);
  await mkdir(join(folder, 'files'), { recursive: true });
  await writeFile(join(folder, 'lock'), JSON.stringify({ pid, host: hostname(), at: '2026-01-01T00:00:00Z', token: 'b'.repeat(32) }));
  await writeFile(join(folder, 'checkpoint.json'), '{}');
  await writeFile(join(folder, 'files', 'disk.vmdk'), 'half');
  return folder;
}

describe('LocalDirectorySink staging', () => {
  it('names the staging folder by the job, so a rerun with another rendered name finds the same one', async () => {
    const first = new LocalDirectorySink(out, { fsync: false, verify: false });
    await first.prepare(layout('1'.repeat(16), 'web01-180000'));
    const checkpoint = join(out, stagingOf(SOURCE, '1'.repeat(16)), 'checkpoint.json');
    expect(first.checkpointPath()).toBe(checkpoint);
    await first.abort();
    const again = new LocalDirectorySink(out, { fsync: false, verify: false });
    await again.prepare(layout('1'.repeat(16), 'web01-183000'));
    expect(again.checkpointPath()).toBe(checkpoint);
    await again.abort();
    expect(await readdir(out)).toEqual([]);
  });

  it('sweeps a dead run of the same source with other settings; keeps other sources and live runs', async () => {
    const superseded = stagingOf(SOURCE, '2'.repeat(16));
    const otherSource = stagingOf('c'.repeat(16), '2'.repeat(16));
    const live = stagingOf(SOURCE, '3'.repeat(16));
    await leftBehind(superseded, deadPid());
    await leftBehind(otherSource, deadPid());
    await leftBehind(live, process.pid);
    await mkdir(join(out, '.web01.partial')); // an older version's folder: not ours to judge
    const sink = new LocalDirectorySink(out, { fsync: false, verify: false });
    await sink.prepare(layout('1'.repeat(16)));
    expect((await readdir(out)).sort()).toEqual(['.web01.partial', stagingOf(SOURCE, '1'.repeat(16)), otherSource, live].sort());
    // The live run's lock is untouched.
    expect(JSON.parse(await readFile(join(out, live, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid, token: 'b'.repeat(32) });
    await sink.abort();
  });

  it('continues its own dead run rather than sweeping it', async () => {
    const own = stagingOf(SOURCE, '1'.repeat(16));
    await leftBehind(own, deadPid());
    const sink = new LocalDirectorySink(out, { fsync: false, verify: false });
    await sink.prepare(layout('1'.repeat(16)));
    expect(await readFile(join(out, own, 'files', 'disk.vmdk'), 'utf8')).toBe('half');
    await sink.abort();
  });

  it('leaves the staging folder alone, and refuses to publish, once another run took its lock over', async () => {
    const sink = new LocalDirectorySink(out, { fsync: false, verify: false, lock: { staleMs: 1000, refreshMs: 20 } });
    await sink.prepare(layout('1'.repeat(16)));
    const folder = join(out, stagingOf(SOURCE, '1'.repeat(16)));
    const theirs = JSON.stringify({ pid: 1, host: 'other-host', at: '2026-01-01T00:00:00Z', token: 'd'.repeat(32) });
    await writeFile(join(folder, 'lock'), theirs);
    await sleep(150);
    await expect(sink.commit()).rejects.toMatchObject({ code: 'EXPORT_LOCK_LOST', message: expect.stringContaining('taken over by pid 1 on other-host') });
    await sink.abort();
    expect(await readFile(join(folder, 'lock'), 'utf8')).toBe(theirs);
    expect((await readdir(folder)).sort()).toEqual(['files', 'lock']);
  });
});
