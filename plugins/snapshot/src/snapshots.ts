// Snapshots of a vSphere VM: find one by name in the snapshot tree, create one, remove one.
import { ExportError } from '@hyperexport/core';
import { listSnapshots, moRef, text, waitForTask } from '@hyperexport/source-vsphere';
import type { ManagedObjectRef, SnapshotNode, VimClient } from '@hyperexport/source-vsphere';

/** The snapshot named `wanted` (a name, or a path `parent/child` when names repeat). */
export async function findSnapshot(client: VimClient, vm: ManagedObjectRef, vmName: string, wanted: string, signal?: AbortSignal): Promise<SnapshotNode> {
  const all = await listSnapshots(client, vm, signal);
  const matches = all.filter((node) => node.name === wanted || node.path === wanted);
  if (matches.length === 1) return matches[0]!;
  const available = all.length > 0 ? `; it has: ${all.map((node) => node.path).join(', ')}` : '; it has none';
  if (matches.length === 0) throw new ExportError(`${vmName} has no snapshot named "${wanted}"${available}`, { code: 'SNAPSHOT_NOT_FOUND', hint: 'check the name with `hyperexport vm info --vm ...`' });
  throw new ExportError(`${vmName} has ${matches.length} snapshots named "${wanted}": ${matches.map((node) => node.path).join(', ')}`, { code: 'SNAPSHOT_AMBIGUOUS', hint: 'give the snapshot path (parent/child)' });
}

export interface CreateSnapshotOptions {
  readonly name: string;
  readonly description: string;
  readonly memory: boolean;
  readonly quiesce: boolean;
}

export async function createSnapshot(client: VimClient, vm: ManagedObjectRef, options: CreateSnapshotOptions, signal?: AbortSignal): Promise<ManagedObjectRef> {
  const answer = await client.invoke('CreateSnapshot_Task', [
    moRef('_this', vm),
    text('name', options.name),
    text('description', options.description),
    text('memory', options.memory),
    text('quiesce', options.quiesce),
  ], signal);
  const task = answer.childRef('returnval');
  if (!task) throw new ExportError('CreateSnapshot_Task returned no task', { code: 'VIM_PROTOCOL' });
  const result = await waitForTask(client, task, `taking snapshot "${options.name}"`, signal);
  if (!result?.text) throw new ExportError(`taking snapshot "${options.name}" returned no snapshot`, { code: 'VIM_PROTOCOL' });
  return { type: result.attribute('type') ?? 'VirtualMachineSnapshot', value: result.text };
}

/** Removes one snapshot (not its children) and consolidates the disks. */
export async function removeSnapshot(client: VimClient, snapshot: ManagedObjectRef, name: string, signal?: AbortSignal): Promise<void> {
  const answer = await client.invoke('RemoveSnapshot_Task', [moRef('_this', snapshot), text('removeChildren', false), text('consolidate', true)], signal);
  const task = answer.childRef('returnval');
  if (!task) throw new ExportError('RemoveSnapshot_Task returned no task', { code: 'VIM_PROTOCOL' });
  await waitForTask(client, task, `removing snapshot "${name}"`, signal);
}

