// The checkpoint keeps what stages bind (an encryption key's check value) and is continued only
// by a run whose stages accept it; otherwise it is emptied at once, saying why.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpoint } from './checkpoint.ts';
import type { CheckpointKey } from './checkpoint.ts';
import { Stage } from './model.ts';
import type { TransformStage } from './model.ts';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'checkpoint-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const key: CheckpointKey = { source: 'local:/vm:1:2', format: 'ovf', name: '{vm}-{time}', stages: ['lock'] };
const digest = { name: 'disk.vmdk', size: 1, sha256: 'a'.repeat(64) };

/** A stage whose bytes depend on `secret`, binding it as its value (a real stage binds a key check value). */
function lockStage(secret: string, explain = true): TransformStage {
  return {
    name: 'lock',
    stage: Stage.ENCRYPT,
    effect: 'changes-bytes',
    artifacts: ['disk'],
    create: () => new PassThrough(),
    checkpointBinding: async (recorded) => ({
      value: secret,
      mismatch: explain && recorded !== undefined && recorded !== secret ? 'another secret' : undefined,
    }),
  };
}

async function interrupted(path: string, secret: string): Promise<void> {
  const checkpoint = await Checkpoint.open(path, key, 'job-1', undefined, [lockStage(secret)]);
  await checkpoint.record({ name: 'disk.vmdk', kind: 'disk', raw: digest, stored: digest, spooled: false });
}

describe('Checkpoint bindings', () => {
  it('records what the stages bind, and is continued by a run with the same', async () => {
    const path = join(work, 'checkpoint.json');
    await interrupted(path, 'k1');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ name: '{vm}-{time}', bindings: { lock: 'k1' }, exportId: 'job-1' });
    const rerun = await Checkpoint.open(path, key, 'job-2', undefined, [lockStage('k1')]);
    expect(rerun.size).toBe(1);
    expect(rerun.startedOver).toEqual([]);
    expect(rerun.exportId).toBe('job-1');
  });

  it('starts over, saying why, when a stage binds something else, and forgets the old files at once', async () => {
    const path = join(work, 'checkpoint.json');
    await interrupted(path, 'k1');
    const rerun = await Checkpoint.open(path, key, 'job-2', undefined, [lockStage('k2')]);
    expect(rerun.size).toBe(0);
    expect(rerun.startedOver).toEqual(['lock: another secret']);
    expect(rerun.exportId).toBe('job-2');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ bindings: { lock: 'k2' }, exportId: 'job-2', files: [] });
    // A third run with the first secret finds nothing of the first run to continue.
    expect((await Checkpoint.open(path, key, 'job-3', undefined, [lockStage('k1')])).size).toBe(0);
  });

  it('starts over when a stage binds another value without saying why, or the checkpoint bound nothing', async () => {
    const path = join(work, 'checkpoint.json');
    await interrupted(path, 'k1');
    expect((await Checkpoint.open(path, key, 'job-2', undefined, [lockStage('k2', false)])).startedOver).toEqual([
      'lock: the interrupted run used other settings',
    ]);
    const unbound = join(work, 'unbound.json');
    const plain = await Checkpoint.open(unbound, key, 'job-1');
    await plain.record({ name: 'disk.vmdk', kind: 'disk', raw: digest, stored: digest, spooled: false });
    expect((await Checkpoint.open(unbound, key, 'job-2', undefined, [lockStage('k1')])).startedOver).toEqual([
      'lock: the interrupted run recorded nothing to check its settings against',
    ]);
  });
});
