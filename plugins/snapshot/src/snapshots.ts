// Snapshots of a vSphere VM: find one by name in the snapshot tree, create one, remove one.
import { ExportError } from '@hyperexport/core';
import { listSnapshots, moRef, text, waitForTask } from '@hyperexport/source-vsphere';
import type { ManagedObjectRef, SnapshotNode, VimClient } from '@hyperexport/source-vsphere';

/** A call that changes the VM is never cut short by the job, only by this. */
const CALL_TIMEOUT_MS = 5 * 60_000;
/** How long cleanup waits for a snapshot to be made or removed (seconds on vCenter; minutes on a slow datastore). */
export const CLEANUP_TIMEOUT_MS = 30 * 60_000;

/** The snapshot named `wanted` (a name, or a path `parent/child` when names repeat). */
export async function findSnapshot(client: VimClient, vm: ManagedObjectRef, vmName: string, wanted: string, signal?: AbortSignal): Promise<SnapshotNode> {
  const all = await listSnapshots(client, vm, signal);
  const matches = all.filter((node) => node.name === wanted || node.path === wanted);
  if (matches.length === 1) return matches[0]!;
  const available = all.length > 0 ? `; it has: ${all.map((node) => node.path).join(', ')}` : '; it has none';
  if (matches.length === 0)
    throw new ExportError(`${vmName} has no snapshot named "${wanted}"${available}`, {
      code: 'SNAPSHOT_NOT_FOUND',
      hint: 'check the name with `hyperexport vm info --vm ...`',
    });
  throw new ExportError(`${vmName} has ${matches.length} snapshots named "${wanted}": ${matches.map((node) => node.path).join(', ')}`, {
    code: 'SNAPSHOT_AMBIGUOUS',
    hint: 'give the snapshot path (parent/child)',
  });
}

export interface CreateSnapshotOptions {
  readonly name: string;
  readonly description: string;
  readonly memory: boolean;
  readonly quiesce: boolean;
}

/**
 * Sends CreateSnapshot_Task and returns the task. Not cancelled with the job: once the call is
 * sent the server makes the snapshot whether or not anyone reads the answer, and the answer (the
 * task, whose result is the snapshot) is what lets a cancelled job find it and remove it.
 */
export async function startSnapshot(client: VimClient, vm: ManagedObjectRef, options: CreateSnapshotOptions): Promise<ManagedObjectRef> {
  const answer = await client.invoke(
    'CreateSnapshot_Task',
    [
      moRef('_this', vm),
      text('name', options.name),
      text('description', options.description),
      text('memory', options.memory),
      text('quiesce', options.quiesce),
    ],
    AbortSignal.timeout(CALL_TIMEOUT_MS),
  );
  const task = answer.childRef('returnval');
  if (!task) throw new ExportError('CreateSnapshot_Task returned no task', { code: 'VIM_PROTOCOL' });
  return task;
}

/** Waits for a CreateSnapshot task to succeed; returns the snapshot it made. */
export async function snapshotOfTask(client: VimClient, task: ManagedObjectRef, name: string, signal?: AbortSignal): Promise<ManagedObjectRef> {
  const result = await waitForTask(client, task, `taking snapshot "${name}"`, signal);
  if (!result?.text) throw new ExportError(`taking snapshot "${name}" returned no snapshot`, { code: 'VIM_PROTOCOL' });
  return { type: result.attribute('type') ?? 'VirtualMachineSnapshot', value: result.text };
}

export async function createSnapshot(client: VimClient, vm: ManagedObjectRef, options: CreateSnapshotOptions, signal?: AbortSignal): Promise<ManagedObjectRef> {
  return snapshotOfTask(client, await startSnapshot(client, vm, options), options.name, signal);
}

/**
 * Finds the snapshot that a creation left, to remove it when the job stopped before it was seen
 * through: the result of its task once that ends (the task goes on at the server whatever
 * happened to the job), or, when the task is unknown (its answer was lost) or failed, the
 * snapshot of that name that was not there before (`before`: the ids of the snapshots of that
 * name when the creation started, which are the user's and never removed). Undefined when there
 * is none.
 */
export async function snapshotLeftBy(
  client: VimClient,
  vm: ManagedObjectRef,
  name: string,
  task: ManagedObjectRef | undefined,
  signal: AbortSignal,
  before: ReadonlySet<string>,
): Promise<ManagedObjectRef | undefined> {
  if (task) {
    const made = await snapshotOfTask(client, task, name, signal).catch((error: unknown) => {
      if (signal.aborted) throw error;
      return undefined;
    });
    if (made) return made;
  }
  const named = await snapshotsNamed(client, vm, name, signal, before);
  return named.length === 1 ? named[0]!.ref : undefined;
}

/** The VM's snapshots called `name`, but those in `except` (ids). */
export async function snapshotsNamed(
  client: VimClient,
  vm: ManagedObjectRef,
  name: string,
  signal?: AbortSignal,
  except: ReadonlySet<string> = new Set(),
): Promise<SnapshotNode[]> {
  return (await listSnapshots(client, vm, signal)).filter((node) => node.name === name && !except.has(node.ref.value));
}

/**
 * Whether the VM has the snapshot `id` under the name it was given: a snapshot recorded by an
 * earlier run (a checkpoint) may be gone, or the id may be another VM's or another server's.
 */
export async function hasSnapshot(client: VimClient, vm: ManagedObjectRef, id: string, name: string, signal?: AbortSignal): Promise<boolean> {
  return (await listSnapshots(client, vm, signal)).some((node) => node.ref.value === id && node.name === name);
}

/** Removes one snapshot (not its children) and consolidates the disks. */
export async function removeSnapshot(client: VimClient, snapshot: ManagedObjectRef, name: string, signal?: AbortSignal): Promise<void> {
  const answer = await client.invoke('RemoveSnapshot_Task', [moRef('_this', snapshot), text('removeChildren', false), text('consolidate', true)], signal);
  const task = answer.childRef('returnval');
  if (!task) throw new ExportError('RemoveSnapshot_Task returned no task', { code: 'VIM_PROTOCOL' });
  await waitForTask(client, task, `removing snapshot "${name}"`, signal);
}
