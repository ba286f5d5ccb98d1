// `hyperexport vm info --vm PATH`: what an administrator checks before an export.
import { Command, ExitCode, Option, withPlaceholder, formatBytes } from '@hyperexport/core';
import { VsphereCommand } from './vsphere-command.ts';
import { connectVsphere, vsphereOptionsOf } from './connect.ts';
import { disksOf, findVm } from './inventory.ts';
import { snapshotsOf } from './snapshot-tree.ts';
import { retrieveObjectProperties } from './soap/property-collector.ts';

const PROPERTIES = [
  'name',
  'runtime.powerState',
  'config.hardware.numCPU',
  'config.hardware.memoryMB',
  'config.guestFullName',
  'config.guestId',
  'config.hardware.device',
  'snapshot',
  'config.changeTrackingEnabled',
  'summary.storage.committed',
  'config.template',
];

export class VmInfoCommand extends VsphereCommand {
  static override paths = [['vm', 'info']];

  static override usage = Command.Usage({
    description: 'show a VM: power state, CPUs, memory, guest OS, disks, snapshots, CBT',
    details: 'Connects with the GOVC_* settings (or the flags) and describes one VM, found by inventory path or name.',
    examples: [
      ['Describe a VM', '$0 vm info --vm /DC0/vm/web01'],
      ['As JSON', '$0 vm info --vm web01 --json'],
    ],
  });

  vm = withPlaceholder('VM', Option.String('--vm', { required: true, description: 'Inventory path or name of the VM' }));

  async run(): Promise<number> {
    const loaded = await this.loadConfigFile('vm');
    const { client, datacenter } = await connectVsphere(vsphereOptionsOf(loaded), this.connectionFlags());
    try {
      const found = await findVm(client, this.vm, datacenter);
      const [content] = await retrieveObjectProperties(client, [found.ref], PROPERTIES);
      const prop = (name: string) => content?.props.get(name)?.text;
      const info = {
        name: prop('name') ?? found.name,
        path: found.path,
        powerState: prop('runtime.powerState'),
        template: prop('config.template') === 'true',
        cpus: Number(prop('config.hardware.numCPU') ?? 0),
        memoryMB: Number(prop('config.hardware.memoryMB') ?? 0),
        guestOs: prop('config.guestFullName') ?? prop('config.guestId'),
        guestId: prop('config.guestId'),
        changeTrackingEnabled: prop('config.changeTrackingEnabled') === 'true',
        committedBytes: Number(prop('summary.storage.committed') ?? 0),
        disks: disksOf(content?.props.get('config.hardware.device')).map(({ key, label, capacityBytes, fileName }) => ({
          key,
          label,
          capacityBytes,
          fileName,
        })),
        snapshots: snapshotsOf(content?.props.get('snapshot')).map(({ name, path, createTime, ref }) => ({ name, path, createTime, id: ref.value })),
      };
      if (this.json) {
        this.context.stdout.write(`${JSON.stringify({ type: 'vm', ...info })}\n`);
        return ExitCode.OK;
      }
      const out = this.context.stdout;
      out.write(`Name:         ${info.name}${info.template ? ' (template)' : ''}\n`);
      if (info.path) out.write(`Path:         ${info.path}\n`);
      out.write(`Power state:  ${info.powerState ?? 'unknown'}\n`);
      out.write(`CPUs:         ${info.cpus}\n`);
      out.write(`Memory:       ${formatBytes(info.memoryMB * 1024 * 1024)}\n`);
      out.write(`Guest OS:     ${info.guestOs ?? 'unknown'}\n`);
      out.write(`CBT:          ${info.changeTrackingEnabled ? 'enabled' : 'disabled'}\n`);
      out.write(`Storage used: ${formatBytes(info.committedBytes)}\n`);
      out.write(`Disks:        ${info.disks.length === 0 ? 'none' : ''}\n`);
      for (const disk of info.disks) out.write(`  ${disk.label}  ${formatBytes(disk.capacityBytes)}  ${disk.fileName}\n`);
      out.write(`Snapshots:    ${info.snapshots.length === 0 ? 'none' : ''}\n`);
      for (const snapshot of info.snapshots) out.write(`  ${snapshot.path}  ${snapshot.createTime}\n`);
      return ExitCode.OK;
    } finally {
      await client.close();
    }
  }
}
