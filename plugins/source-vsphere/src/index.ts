// source-vsphere: exports a VM from vCenter or ESXi (`--vm PATH`) over the vim25 SOAP API and
// an NFC export lease.
import { ExportError, definePlugin, t } from '@hyperexport/core';
import { resolveConnection } from './connection-settings.ts';
import type { ConnectionFlags, VsphereOptions } from './connection-settings.ts';
import { findVm } from './inventory.ts';
import { promptPassword } from './password-prompt.ts';
import { VimClient } from './soap/vim-client.ts';
import { openVsphereExport } from './vsphere-source.ts';

const PLUGIN_NAME = 'source-vsphere';

export { VimClient } from './soap/vim-client.ts';
export { ExportLease, resolveDeviceUrl } from './export-lease.ts';
export { findVm, listVms } from './inventory.ts';
export { resolveConnection, parseSdkUrl } from './connection-settings.ts';
export type { VsphereOptions, ConnectionFlags } from './connection-settings.ts';
import { VmsCommand } from './vms-command.ts';

export { VmsCommand };
export { VimFault } from './soap/faults.ts';

export default definePlugin<VsphereOptions>({
  name: PLUGIN_NAME,
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
    exporter.hooks.download.tapPromise(PLUGIN_NAME, async (job) => {
      if (!job.spec.vm) return undefined;
      const flags = (job.spec.extra.connection ?? {}) as ConnectionFlags;
      const { settings, datacenter } = await resolveConnection(options ?? {}, flags, process.env, process.stdin.isTTY ? promptPassword : undefined);
      const client = await VimClient.connect(settings, job.signal);
      try {
        const vm = await findVm(client, job.spec.vm, datacenter, job.signal);
        job.info(`exporting ${vm.path ?? vm.name} (${vm.powerState}, ${vm.disks.length} disk${vm.disks.length === 1 ? '' : 's'}) from ${client.serviceContent.about.fullName || settings.url.host}`, PLUGIN_NAME);
        const snapshot = job.state.get('snapshot:ref') as { type: string; value: string } | undefined;
        if (vm.powerState === 'poweredOn' && !snapshot) {
          throw new ExportError(`${vm.path ?? vm.name} is powered on; a running VM cannot be exported as it is`, {
            code: 'VM_POWERED_ON',
            hint: 'power it off, or export from a snapshot (--snapshot-before, or --snapshot NAME)',
          });
        }
        return await openVsphereExport({
          client,
          vm,
          snapshot,
          signal: job.signal,
          warn: (message) => job.warn(message, PLUGIN_NAME),
          fail: (error) => job.abort(error),
        });
      } catch (error) {
        await client.close();
        throw error;
      }
    });
  },
});
export const commands = [VmsCommand];
