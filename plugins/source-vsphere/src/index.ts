// source-vsphere: exports a VM from vCenter or ESXi (`--vm PATH`) over the vim25 SOAP API and
// an NFC export lease.
import { ExportError, definePlugin, t } from '@hyperexport/core';
import { connectVsphere } from './connect.ts';
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

export default definePlugin<VsphereOptions>({
  name: PLUGIN_NAME,
  commands: [VmsCommand, VmInfoCommand],
  version: '0.1.0',
  description: 'exports VMs from vCenter/ESXi through NFC export leases (govc-style GOVC_* settings)',
  provides: ['source:vsphere'],
  options: t.isObject({
    url: t.isOptional(t.isString()),
    username: t.isOptional(t.isString()),
    passwordFile: t.isOptional(t.isString()),
    passwordEnv: t.isOptional(t.isString()),
    insecure: t.isOptional(t.isBoolean()),
    thumbprint: t.isOptional(t.isString()),
    caFile: t.isOptional(t.isString()),
    datacenter: t.isOptional(t.isString()),
  }),
  setup(exporter, options) {
    const settings = options ?? {};
    // The usage check: a malformed URL or thumbprint, or a password in --url, is a usage error
    // before anything connects. Skipped for a local --source (GOVC_* may be set for other work).
    exporter.hooks.checkSettings.tap(PLUGIN_NAME, (spec) => {
      if (spec.source !== undefined && spec.vm === undefined) return;
      checkConnectionSettings(settings, (spec.extra.connection ?? {}) as ConnectionFlags, process.env);
    });
    exporter.hooks.inspect.tapPromise(PLUGIN_NAME, async (job) => {
      if (!job.spec.vm) return undefined;
      const { vm } = await openSession(job, settings);
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
      const { client, vm } = await openSession(job, settings);
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
      const { client } = await connectVsphere(settings, request.connection as ConnectionFlags, request.signal);
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
