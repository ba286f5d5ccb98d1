// `hyperexport vms`: the VMs a vCenter/ESXi holds, with power state, disks and sizes.
import { Command, ExitCode, JSON_OUTPUT, formatBytes, jsonOption } from '@hyperexport/core';
import { VsphereCommand } from './vsphere-command.ts';
import { connectVsphere, vsphereOptionsOf } from './connect.ts';
import { listVms } from './inventory.ts';

export class VmsCommand extends VsphereCommand {
  static override paths = [['vms'], ['vms', 'list']];

  static override usage = Command.Usage({
    description: 'list the VMs of a vCenter or ESXi host',
    details: 'Connects with the GOVC_* settings (or the flags), lists every VM with its inventory path, power state, disks and sizes. Templates are marked.',
    examples: [
      ['List the VMs (GOVC_URL, GOVC_USERNAME and GOVC_PASSWORD set)', '$0 vms'],
      ['As NDJSON, one VM per line', '$0 vms --json'],
    ],
  });

  override json = jsonOption(JSON_OUTPUT.onePerLine('VM'));

  async run(): Promise<number> {
    const loaded = await this.loadConfigFile('vms');
    const { client } = await connectVsphere(vsphereOptionsOf(loaded), this.connectionFlags());
    try {
      const vms = await listVms(client);
      if (this.json) {
        for (const vm of vms) {
          this.context.stdout.write(
            `${JSON.stringify({
              type: 'vm',
              name: vm.name,
              path: vm.path,
              powerState: vm.powerState,
              template: vm.template,
              committedBytes: vm.committedBytes,
              disks: vm.disks.map((disk) => ({ key: disk.key, label: disk.label, capacityBytes: disk.capacityBytes, fileName: disk.fileName })),
            })}\n`,
          );
        }
        return ExitCode.OK;
      }
      const rows = vms.map((vm) => [
        vm.path ?? vm.name,
        vm.template ? 'template' : vm.powerState,
        String(vm.disks.length),
        formatBytes(vm.disks.reduce((sum, disk) => sum + disk.capacityBytes, 0)),
        formatBytes(vm.committedBytes),
      ]);
      const header = ['PATH', 'POWER', 'DISKS', 'CAPACITY', 'USED'];
      const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
      for (const row of [header, ...rows])
        this.context.stdout.write(
          `${row
            .map((cell, column) => cell.padEnd(widths[column]!))
            .join('  ')
            .trimEnd()}\n`,
        );
      return ExitCode.OK;
    } finally {
      await client.close();
    }
  }
}
