import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_VERSION, Checkpoint } from './checkpoint.ts';
import type { CheckpointKey } from './checkpoint.ts';
import type { SnapshotRef } from './model.ts';

let folder: string;
let path: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'hyperexport-checkpoint-'));
  path = join(folder, 'checkpoint.json');
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const key = (snapshotId: string): CheckpointKey => ({ source: `vsphere:vc/sdk#vm-1@${snapshotId}`, format: 'ovf', name: '{vm}', stages: [] });
const taken = (id: string): SnapshotRef => ({ name: `hyperexport-web01-${id}`, id, created: true, provider: 'snapshot' });

describe('Checkpoint: the snapshot a run took', () => {
  it('is recorded by save(), before any file, and the next run with another snapshot is told of it', async () => {
    const first = await Checkpoint.open(path, key('snapshot-1'), 'job-1', taken('snapshot-1'));
    expect(first.earlierSnapshot).toBeUndefined();
    await first.save();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: CHECKPOINT_VERSION, snapshot: taken('snapshot-1'), files: [] });

    // The rerun took another snapshot: another source identity, but the first snapshot is its to remove.
    const rerun = await Checkpoint.open(path, key('snapshot-2'), 'job-2', taken('snapshot-2'));
    expect(rerun.earlierSnapshot).toEqual(taken('snapshot-1'));
    await rerun.save();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ snapshot: taken('snapshot-2') });
  });

  it('a snapshot the user named (not taken by the run) is never recorded, so never removed', async () => {
    const named: SnapshotRef = { name: 'before-upgrade', id: 'snapshot-9', created: false, provider: 'snapshot' };
    await (await Checkpoint.open(path, key('snapshot-9'), 'job-1', named)).save();
    expect(JSON.parse(await readFile(path, 'utf8'))).not.toHaveProperty('snapshot');
    expect((await Checkpoint.open(path, key('snapshot-3'), 'job-2')).earlierSnapshot).toBeUndefined();
  });

  it('ignores a malformed snapshot field, and its own snapshot found again', async () => {
    await writeFile(
      path,
      JSON.stringify({
        version: CHECKPOINT_VERSION,
        ...key('snapshot-1'),
        updatedAt: '',
        files: [],
        snapshot: { name: 'x', id: 42, created: true, provider: 'snapshot' },
      }),
    );
    expect((await Checkpoint.open(path, key('snapshot-2'), 'job-2')).earlierSnapshot).toBeUndefined();
    await writeFile(path, JSON.stringify({ version: CHECKPOINT_VERSION, ...key('snapshot-1'), updatedAt: '', files: [], snapshot: taken('snapshot-1') }));
    expect((await Checkpoint.open(path, key('snapshot-1'), 'job-2', taken('snapshot-1'))).earlierSnapshot).toBeUndefined();
  });
});
