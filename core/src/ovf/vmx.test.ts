import { describe, expect, it } from 'vitest';
import { describeVmx, parseVmx, vsphereGuestId } from './vmx.ts';

const VMX = `.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "19"
# a comment line
displayName = "web |22prod|22 01"
guestOS = "ubuntu-64"
numvcpus = "4"
memSize = "8192"
firmware = "efi"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:1.present = "TRUE"
scsi0:1.fileName = "web01_1.vmdk"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "web01.vmdk"
scsi0:0.deviceType = "scsi-hardDisk"
sata0.present = "TRUE"
sata0:0.present = "TRUE"
sata0:0.fileName = "/isos/ubuntu.iso"
sata0:0.deviceType = "cdrom-image"
sata0:1.present = "TRUE"
sata0:1.fileName = "data.vmdk"
nvme0.present = "TRUE"
nvme0:0.present = "TRUE"
nvme0:0.fileName = "fast.vmdk"
ide1:0.present = "TRUE"
ide1:0.fileName = "auto detect"
ide1:0.deviceType = "atapi-cdrom"
ide0:0.present = "FALSE"
ide0:0.fileName = "removed.vmdk"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
ethernet1.present = "TRUE"
ethernet1.connectionType = "nat"
ethernet2.present = "FALSE"
`;

describe('parseVmx', () => {
  it('lower-cases keys, unquotes and unescapes values, skips comments', () => {
    const vmx = parseVmx(`${VMX}unquoted = yes # trailing\r\nnot a setting\n`);
    expect(vmx.get('displayname')).toBe('web "prod" 01');
    expect(vmx.get('memsize')).toBe('8192');
    expect(vmx.get('scsi0:0.filename')).toBe('web01.vmdk');
    expect(vmx.get('unquoted')).toBe('yes');
    expect([...vmx.keys()].some((k) => k.startsWith('#'))).toBe(false);
  });
});

describe('describeVmx', () => {
  it('describes the VM: hardware, disks in controller order without CD-ROMs, networks', () => {
    expect(describeVmx(parseVmx(VMX))).toEqual({
      name: 'web "prod" 01',
      guestOsId: 'ubuntu64Guest',
      cpus: 4,
      memoryMiB: 8192,
      firmware: 'efi',
      hardwareVersion: 19,
      scsiControllerType: 'VirtualSCSI',
      disks: [
        { fileName: 'web01.vmdk', bus: 'scsi' },
        { fileName: 'web01_1.vmdk', bus: 'scsi' },
        { fileName: 'data.vmdk', bus: 'sata' },
        { fileName: 'fast.vmdk', bus: 'nvme' },
      ],
      networks: [
        { name: 'VM Network', adapterType: 'VmxNet3' },
        { name: 'VM Network', adapterType: 'E1000' },
      ],
    });
  });

  it('defaults: one CPU, BIOS, the fallback name', () => {
    const vm = describeVmx(parseVmx('memsize = "512"\n'), 'folder-name');
    expect(vm).toMatchObject({ name: 'folder-name', cpus: 1, firmware: 'bios', guestOsId: undefined, disks: [], networks: [] });
  });

  it('refuses a .vmx without a usable memsize or numvcpus', () => {
    expect(() => describeVmx(parseVmx('displayName = "x"\n'))).toThrow(/no memsize/);
    expect(() => describeVmx(parseVmx('memsize = "lots"\n'))).toThrow(/invalid memsize "lots"/);
    expect(() => describeVmx(parseVmx('memsize = "1"\nnumvcpus = "0"\n'))).toThrow(/invalid numvcpus "0"/);
  });
});

describe('vsphereGuestId', () => {
  it.each([
    ['ubuntu-64', 'ubuntu64Guest'],
    ['otherlinux-64', 'otherLinux64Guest'],
    ['other-64', 'otherGuest64'],
    ['rhel8-64', 'rhel8_64Guest'],
    ['debian12-64', 'debian12_64Guest'],
    ['windows2019srv-64', 'windows2019srv_64Guest'],
    ['windows11-64', 'windows11_64Guest'],
    ['ubuntu64Guest', 'ubuntu64Guest'],
    ['darwin21-64', 'darwin21-64'],
  ])('%s → %s', (vmx, vsphere) => {
    expect(vsphereGuestId(vmx)).toBe(vsphere);
  });
});
