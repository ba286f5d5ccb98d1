// snapshot: exports a vSphere VM from a snapshot. `--snapshot-before` takes one (so a running VM
// can be exported) and removes it afterwards, whether the export succeeded, failed or was
// cancelled, even while the snapshot was still being made (`--keep-snapshot` keeps it); `--snapshot NAME` exports from an existing snapshot,
// which is never removed.
import { ConfigError, definePlugin } from '@hyperexport/core';
import type { Job } from '@hyperexport/core';
import { vsphereSessionOf } from '@hyperexport/source-vsphere';
import type { ManagedObjectRef } from '@hyperexport/source-vsphere';
import { SNAPSHOT_SETTINGS } from './snapshot-settings.ts';
import { CLEANUP_TIMEOUT_MS, findSnapshot, hasSnapshot, removeSnapshot, snapshotLeftBy, snapshotOfTask, snapshotsNamed, startSnapshot } from './snapshots.ts';

const PLUGIN_NAME = 'snapshot';

export { createSnapshot, findSnapshot, removeSnapshot, snapshotLeftBy, snapshotOfTask, snapshotsNamed, startSnapshot } from './snapshots.ts';

export { SNAPSHOT_SETTINGS };

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'exports from a snapshot: takes one before the export and removes it after, or uses a named one',
  provides: ['snapshot:vsphere'],
  requires: ['source:vsphere'],
  // Every option is a setting (flag, profile key, config option): see snapshot-settings.ts.
  settings: SNAPSHOT_SETTINGS,
  setup(exporter, _options, settings) {
    const keepOf = (job: Job): boolean => settings.of(job.spec).keepSnapshot ?? false;

    /** After a creation that was not seen through (cancelled, failed): waits for what it made and removes it. */
    const removeUnfinished = async (job: Job, name: string, task: ManagedObjectRef | undefined, before: ReadonlySet<string>, keep: boolean) => {
      const session = await vsphereSessionOf(job);
      if (!session) return;
      if (keep) {
        job.info(`keeping snapshot "${name}" (if it was made) as asked`, PLUGIN_NAME);
        return;
      }
      // Not job.signal: the job has stopped, and the snapshot must still go.
      const deadline = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
      if (task) job.info(`waiting for snapshot "${name}" to be made, to remove it (the export stopped while it was being taken)`, PLUGIN_NAME);
      const left = await snapshotLeftBy(session.client, session.vm.ref, name, task, deadline, before);
      if (!left) return;
      await removeSnapshot(session.client, left, name, deadline);
      job.info(`removed snapshot "${name}"`, PLUGIN_NAME);
    };

    // Said before the checks, so they know a running VM is fine (job.plannedSnapshot).
    exporter.hooks.planSnapshot.tap(PLUGIN_NAME, (job) => {
      const { snapshotBefore, snapshot } = settings.of(job.spec);
      if (!job.spec.vm || (!snapshotBefore && !snapshot)) return undefined;
      return { provider: PLUGIN_NAME, takes: !snapshot };
    });
    exporter.hooks.snapshot.tapPromise(PLUGIN_NAME, async (job) => {
      const { snapshot: named, snapshotBefore: before, snapshotName, snapshotMemory, snapshotQuiesce } = settings.of(job.spec);
      if (!named && !before) return undefined;
      if (named && before) throw new ConfigError('give either --snapshot NAME (export an existing snapshot) or --snapshot-before (take one), not both');
      const session = await vsphereSessionOf(job);
      if (!session) throw new ConfigError('snapshots apply to vSphere exports: --snapshot-before and --snapshot need --vm');
      const { client, vm } = session;
      if (named) {
        const found = await findSnapshot(client, vm.ref, vm.name, named, job.signal);
        job.info(`exporting from snapshot "${found.path}" of ${vm.name} (it is kept)`, PLUGIN_NAME);
        return { name: found.path, id: found.ref.value, created: false, provider: PLUGIN_NAME };
      }
      const quiesce = snapshotQuiesce ?? false;
      const name = (snapshotName ?? 'hyperexport-{vm}-{timestamp}')
        .replaceAll('{vm}', vm.name)
        .replaceAll('{timestamp}', new Date().toISOString().replace(/[:.]/g, '-'));
      const memory = (snapshotMemory ?? false) && vm.powerState === 'poweredOn';
      job.info(`taking snapshot "${name}" of ${vm.name}${memory ? ' with memory' : ''}${quiesce ? ', quiesced' : ''}`, PLUGIN_NAME);
      // Snapshots already called so (a --snapshot-name kept by an earlier run, or made by hand) are
      // the user's: a creation that is not seen through must never take one of them for its own.
      const existing = new Set((await snapshotsNamed(client, vm.ref, name, job.signal)).map((node) => node.ref.value));
      let task: ManagedObjectRef | undefined;
      try {
        task = await startSnapshot(client, vm.ref, {
          name,
          description: `Taken by HyperExport for export job ${job.id}; removed when the export ends unless kept.`,
          memory,
          quiesce,
        });
        const ref = await snapshotOfTask(client, task, name, job.signal);
        return { name, id: ref.value, created: true, provider: PLUGIN_NAME };
      } catch (error) {
        // The job never gets this snapshot to clean up: remove what the creation left here.
        await removeUnfinished(job, name, task, existing, keepOf(job)).catch((cleanupError: unknown) => {
          job.warn(
            `snapshot "${name}" of ${vm.name} may be left behind (${cleanupError instanceof Error ? cleanupError.message : String(cleanupError)}): check with \`hyperexport vm info --vm ${vm.path ?? vm.name}\``,
            PLUGIN_NAME,
          );
        });
        throw error;
      }
    });

    exporter.hooks.snapshotCleanup.tapPromise(PLUGIN_NAME, async (job, snapshot) => {
      if (snapshot.provider !== PLUGIN_NAME || !snapshot.created) return; // a named snapshot is never removed
      if (keepOf(job)) {
        job.info(`keeping snapshot "${snapshot.name}" as asked`, PLUGIN_NAME);
        return;
      }
      const session = await vsphereSessionOf(job);
      if (!session) return;
      // Not job.signal: the job may have been cancelled, and the snapshot must still go.
      const deadline = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
      // A snapshot an interrupted run recorded in its checkpoint may be gone, or not this VM's.
      if (!(await hasSnapshot(session.client, session.vm.ref, snapshot.id, snapshot.name, deadline))) {
        job.info(`snapshot "${snapshot.name}" is no longer there; nothing to remove`, PLUGIN_NAME);
        return;
      }
      await removeSnapshot(session.client, { type: 'VirtualMachineSnapshot', value: snapshot.id }, snapshot.name, deadline);
      job.info(`removed snapshot "${snapshot.name}"`, PLUGIN_NAME);
    });
  },
});
