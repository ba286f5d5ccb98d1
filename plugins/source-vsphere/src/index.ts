// source-vsphere: exports a VM from vCenter or ESXi (`--vm PATH`) over the vim25 SOAP API and
// an NFC export lease.
import { ExportError, definePlugin, t } from '@hyperexport/core';
import type { JobSpec } from '@hyperexport/core';
import { connectVsphere } from './connect.ts';
import { CONNECTION_SETTINGS } from './connection-declarations.ts';
import { checkConnectionSettings } from './connection-settings.ts';
import type { ConnectionFlags, VsphereOptions } from './connection-settings.ts';
import { listVms } from './inventory.ts';
import { closeSession, openSession } from './session.ts';
import { openVsphereExport } from './vsphere-source.ts';

const PLUGIN_NAME = 'source-vsphere';

export { VimClient } from './soap/vim-client.ts';
export { ExportLease, resolveDeviceUrl } from './export-lease.ts';
export { findVm, listVms } from './inventory.ts';
export { resolveConnection, parseSdkUrl } from './connection-settings.ts';
export type { VsphereOptions, ConnectionFlags } from './connection-settings.ts';
import { VmInfoCommand } from './vm-info-command.ts';
import { VmsCommand } from './vms-command.ts';

export { CONNECTION_SETTINGS };
export { VsphereCommand } from './vsphere-command.ts';

export { VmsCommand, VmInfoCommand };
export { VimFault } from './soap/faults.ts';
export { vsphereSessionOf } from './session.ts';
export type { VsphereSession } from './session.ts';
export { waitForTask } from './tasks.ts';
export { listSnapshots } from './snapshot-tree.ts';
export type { SnapshotNode } from './snapshot-tree.ts';
export { retrieveObjectProperties } from './soap/property-collector.ts';
export { el, moRef, text } from './soap/xml.ts';
export type { ManagedObjectRef, XmlNode } from './soap/xml.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  commands: [VmsCommand, VmInfoCommand],
  version: '0.1.0',
  description: 'exports VMs from vCenter/ESXi through NFC export leases (govc-style GOVC_* settings)',
  provides: ['source:vsphere'],
  // url, username, passwordFile, insecure, thumbprint and datacenter are settings (flags of
  // `export` and of the plugin's commands, and config options): see connection-declarations.ts.
  settings: CONNECTION_SETTINGS,
  options: t.isObject({
    passwordEnv: t.isOptional(t.isString()),
    caFile: t.isOptional(t.isString()),
  }),
  setup(exporter, options, connection) {
    // The config's options (its own and its connection settings), below what a job sets.
    const settings: VsphereOptions = { ...options, ...connection.configured };
    // What the job sets (flags, a profile, the config's export section) counts as the flags do in
    // resolveConnection's precedence (a user in --url beats GOVC_USERNAME...).
    const flagsOf = (spec: Pick<JobSpec, 'extra'>): ConnectionFlags => connection.fromJob(spec);
    // The usage check: a malformed URL or thumbprint, or a password in --url, is a usage error
    // before anything connects. Skipped for a local --source (GOVC_* may be set for other work).
    exporter.hooks.checkSettings.tap(PLUGIN_NAME, (spec) => {
      if (spec.source !== undefined && spec.vm === undefined) return;
      checkConnectionSettings(settings, flagsOf(spec), process.env);
    });
    exporter.hooks.inspect.tapPromise(PLUGIN_NAME, async (job) => {
      if (!job.spec.vm) return undefined;
      const { vm } = await openSession(job, settings, flagsOf(job.spec));
      return {
        name: vm.name,
        path: vm.path,
        powerState: vm.powerState,
        committedBytes: vm.committedBytes,
        provisionedBytes: vm.disks.reduce((sum, disk) => sum + disk.capacityBytes, 0),
        disks: vm.disks.map((disk) => ({ label: disk.label, capacityBytes: disk.capacityBytes, fileName: disk.fileName })),
      };
    });
    exporter.hooks.download.tapPromise(PLUGIN_NAME, async (job, request) => {
      if (!job.spec.vm) return undefined;
      const { client, vm } = await openSession(job, settings, flagsOf(job.spec));
      job.info(
        `exporting ${vm.path ?? vm.name} (${vm.powerState}, ${vm.disks.length} disk${vm.disks.length === 1 ? '' : 's'}) from ${client.serviceContent.about.fullName || client.url.host}`,
        PLUGIN_NAME,
      );
      // The snapshot hook's value (a vSphere snapshot's managed object id), which the core hands on.
      const snapshot = request.snapshot ? ({ type: 'VirtualMachineSnapshot', value: request.snapshot.id } as const) : undefined;
      if (vm.powerState === 'poweredOn' && !snapshot) {
        throw new ExportError(`${vm.path ?? vm.name} is powered on; a running VM cannot be exported as it is`, {
          code: 'VM_POWERED_ON',
          hint: 'power it off, or export from a snapshot (--snapshot-before, or --snapshot NAME)',
        });
      }
      return openVsphereExport({
        client,
        vm,
        snapshot,
        signal: job.signal,
        warn: (message) => job.warn(message, PLUGIN_NAME),
        fail: (error) => job.abort(error),
      });
    });
    exporter.hooks.release.tapPromise(PLUGIN_NAME, (job) => closeSession(job));
    exporter.hooks.discover.tapPromise(PLUGIN_NAME, async (request) => {
      const { client } = await connectVsphere(settings, flagsOf(request.spec), request.signal);
      try {
        const prefix = `${request.folder.replace(/\/+$/, '')}/`;
        return (await listVms(client, request.signal))
          .filter((vm) => vm.path?.startsWith(prefix) && !vm.template)
          .map((vm) => ({ path: vm.path!, name: vm.name }));
      } finally {
        await client.close();
      }
    });
  },
});

export const commands = [VmsCommand, VmInfoCommand];
