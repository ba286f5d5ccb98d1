// snapshot: exports a vSphere VM from a snapshot. `--snapshot-before` takes one (so a running VM
// can be exported) and removes it afterwards, whether the export succeeded, failed or was
// cancelled (`--keep-snapshot` keeps it); `--snapshot NAME` exports from an existing snapshot,
// which is never removed.
import { ConfigError, definePlugin, t } from '@hyperexport/core';
import { setExportSnapshot, vsphereSessionOf } from '@hyperexport/source-vsphere';
import { createSnapshot, findSnapshot, removeSnapshot } from './snapshots.ts';

const PLUGIN_NAME = 'snapshot';

export { createSnapshot, findSnapshot, removeSnapshot } from './snapshots.ts';

interface SnapshotOptions {
  /** Take a snapshot before every export (also `--snapshot-before`). */
  before?: boolean | undefined;
  /** Name of the snapshot taken; `{vm}` and `{timestamp}` are replaced. */
  name?: string | undefined;
  /** Include the VM's memory (slower; only for powered-on VMs). */
  memory?: boolean | undefined;
  /** Quiesce the guest file systems through VMware Tools. */
  quiesce?: boolean | undefined;
  /** Keep the snapshot taken (also `--keep-snapshot`). */
  keep?: boolean | undefined;
}

export default definePlugin<SnapshotOptions>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'exports from a snapshot: takes one before the export and removes it after, or uses a named one',
  provides: ['snapshot:vsphere'],
  requires: ['source:vsphere'],
  consumes: ['snapshotBefore', 'snapshot', 'keepSnapshot', 'snapshotName', 'snapshotMemory', 'snapshotQuiesce'],
  options: t.isObject({
    before: t.isOptional(t.isBoolean()),
    name: t.isOptional(t.isString()),
    memory: t.isOptional(t.isBoolean()),
    quiesce: t.isOptional(t.isBoolean()),
    keep: t.isOptional(t.isBoolean()),
  }),
  setup(exporter, options) {
    const settings = options ?? {};
    // Before the source inspects the VM, so the pre-export checks know a running VM is fine.
    exporter.hooks.inspect.tap({ name: PLUGIN_NAME, stage: -10 }, (job) => {
      const before = (job.spec.extra.snapshotBefore as boolean | undefined) ?? settings.before ?? false;
      if (job.spec.vm && (before || job.spec.extra.snapshot)) job.exportsFromSnapshot = true;
      return undefined;
    });
    exporter.hooks.snapshot.tapPromise(PLUGIN_NAME, async (job) => {
      const named = job.spec.extra.snapshot as string | undefined;
      const before = (job.spec.extra.snapshotBefore as boolean | undefined) ?? settings.before ?? false;
      if (!named && !before) return undefined;
      if (named && before) throw new ConfigError('give either --snapshot NAME (export an existing snapshot) or --snapshot-before (take one), not both');
      const session = await vsphereSessionOf(job);
      if (!session) throw new ConfigError('snapshots apply to vSphere exports: --snapshot-before and --snapshot need --vm');
      const { client, vm } = session;
      if (named) {
        const found = await findSnapshot(client, vm.ref, vm.name, named, job.signal);
        setExportSnapshot(job, found.ref);
        job.info(`exporting from snapshot "${found.path}" of ${vm.name} (it is kept)`, PLUGIN_NAME);
        return { name: found.path, id: found.ref.value, created: false, provider: PLUGIN_NAME };
      }
      const extra = job.spec.extra as { snapshotName?: string; snapshotMemory?: boolean; snapshotQuiesce?: boolean };
      const quiesce = extra.snapshotQuiesce ?? settings.quiesce ?? false;
      const name = (extra.snapshotName ?? settings.name ?? 'hyperexport-{vm}-{timestamp}')
        .replaceAll('{vm}', vm.name)
        .replaceAll('{timestamp}', new Date().toISOString().replace(/[:.]/g, '-'));
      const memory = (extra.snapshotMemory ?? settings.memory ?? false) && vm.powerState === 'poweredOn';
      job.info(`taking snapshot "${name}" of ${vm.name}${memory ? ' with memory' : ''}${quiesce ? ', quiesced' : ''}`, PLUGIN_NAME);
      const ref = await createSnapshot(client, vm.ref, {
        name,
        description: `Taken by HyperExport for export job ${job.id}; removed when the export ends unless kept.`,
        memory,
        quiesce,
      }, job.signal);
      setExportSnapshot(job, ref);
      return { name, id: ref.value, created: true, provider: PLUGIN_NAME };
    });

    exporter.hooks.snapshotCleanup.tapPromise(PLUGIN_NAME, async (job, snapshot) => {
      if (snapshot.provider !== PLUGIN_NAME || !snapshot.created) return; // a named snapshot is never removed
      const keep = (job.spec.extra.keepSnapshot as boolean | undefined) ?? settings.keep ?? false;
      if (keep) {
        job.info(`keeping snapshot "${snapshot.name}" as asked`, PLUGIN_NAME);
        return;
      }
      const session = await vsphereSessionOf(job);
      if (!session) return;
      // Not job.signal: the job may have been cancelled, and the snapshot must still go.
      await removeSnapshot(session.client, { type: 'VirtualMachineSnapshot', value: snapshot.id }, snapshot.name, AbortSignal.timeout(30 * 60_000));
      job.info(`removed snapshot "${snapshot.name}"`, PLUGIN_NAME);
    });
  },
});
