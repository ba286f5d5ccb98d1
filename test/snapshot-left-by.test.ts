// What a snapshot creation that was not seen through (cancelled, its answer lost, or failed) is
// taken to have left, to be removed: never a snapshot of the same name that was there before it
// (a `--snapshot-name nightly` kept by an earlier run with --keep-snapshot, or made by hand).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnapshot, snapshotLeftBy } from '@hyperexport/snapshot';
import { findVm, listSnapshots, resolveConnection, VimClient } from '@hyperexport/source-vsphere';
import { startVcsim } from './support/vcsim.ts';
import type { Vcsim } from './support/vcsim.ts';

let sim: Vcsim;
let client: VimClient;
const signal = AbortSignal.timeout(60_000);

beforeAll(async () => {
  sim = await startVcsim(['-disk-mb', '4']);
  const { settings } = await resolveConnection({}, {}, sim.env);
  client = await VimClient.connect(settings, signal);
});

afterAll(async () => {
  await client?.close();
  await sim?.stop();
});

describe('snapshotLeftBy', () => {
  it('finds the snapshot of that name the creation made, not one of the same name that was there before', async () => {
    const vm = await findVm(client, sim.vms.find((candidate) => candidate.powerState === 'poweredOff')!.path, undefined, signal);
    const options = { name: 'nightly', memory: false, quiesce: false };
    const kept = await createSnapshot(client, vm.ref, { ...options, description: 'kept by an earlier run' }, signal);
    const before = new Set([kept.value]);
    // The creation's answer was lost (no task) and it made nothing: the user's snapshot is not what it left.
    expect(await snapshotLeftBy(client, vm.ref, 'nightly', undefined, signal, before)).toBeUndefined();
    // It did make one: that one is found, by its name among the snapshots that were not there before.
    const made = await createSnapshot(client, vm.ref, { ...options, description: 'this run' }, signal);
    expect(await snapshotLeftBy(client, vm.ref, 'nightly', undefined, signal, before)).toEqual(made);
    expect((await listSnapshots(client, vm.ref, signal)).map((node) => node.ref.value).sort()).toEqual([kept.value, made.value].sort());
  });
});
