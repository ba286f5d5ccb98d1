// The settings of the snapshot plugin: flags of `export`, keys of a profile and options in the
// config, one name each. The plugin's former option names (`before`, `keep`...) still load.
import { defineSettings, setting } from '@hyperexport/core';

export const SNAPSHOT_SETTINGS = defineSettings({
  snapshotBefore: setting.boolean({
    description: 'Take a snapshot, export from it, remove it after (exports running VMs)',
    profile: true,
    formerNames: ['before'],
  }),
  snapshot: setting.string({ description: 'Export from this existing snapshot (never removed)', placeholder: 'NAME' }),
  keepSnapshot: setting.boolean({ description: 'Keep the snapshot taken by --snapshot-before', profile: true, formerNames: ['keep'] }),
  snapshotName: setting.string({
    description: 'Name of the snapshot --snapshot-before takes ({vm} and {timestamp} are replaced)',
    placeholder: 'TEMPLATE',
    formerNames: ['name'],
  }),
  snapshotMemory: setting.boolean({ description: 'Include the memory of a running VM in the snapshot taken', formerNames: ['memory'] }),
  snapshotQuiesce: setting.boolean({ description: 'Quiesce the guest file systems (VMware Tools) for the snapshot taken', formerNames: ['quiesce'] }),
});
