import { DOMParser } from '@xmldom/xmldom';
import type { Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { escapeXml } from '../xml-escape.ts';
import { buildOvfDescriptor } from './descriptor.ts';
import type { VmDescription } from './descriptor.ts';
import { OVF_NS, RASD_NS, VMW_NS, VSSD_NS } from './namespaces.ts';
import { parseOvf } from './ovf-parse.ts';
import { VMDK_FORMAT_URL } from './vmdk.ts';

const GiB = 1024 ** 3;
const VM: VmDescription = {
  name: 'web01',
  guestOsId: 'ubuntu64Guest',
  cpus: 2,
  memoryMiB: 4096,
  firmware: 'efi',
  hardwareVersion: 19,
  disks: [
    { fileName: 'web01-disk1.vmdk', fileSize: 123_456, capacityBytes: 16 * GiB, format: VMDK_FORMAT_URL.streamOptimized },
    { fileName: 'web01-disk2.vmdk', fileSize: 789, capacityBytes: 1 * GiB, format: VMDK_FORMAT_URL.monolithicSparse },
  ],
  networks: [{ name: 'VM Network' }, { name: 'Backup LAN', adapterType: 'E1000' }],
};

/** Rasd items as plain objects: element local name → text. */
function items(xml: string): Record<string, string>[] {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return Array.from(doc.getElementsByTagNameNS(OVF_NS, 'Item')).map((item) => {
    const fields: Record<string, string> = {};
    for (const child of Array.from(item.childNodes)) {
      if (child.nodeType === 1) {
        const element = child as Element;
        expect(element.namespaceURI).toBe(RASD_NS);
        fields[element.localName ?? ''] = element.textContent ?? '';
      }
    }
    return fields;
  });
}

describe('buildOvfDescriptor', () => {
  it('produces an OVF that parseOvf reads back', () => {
    const xml = buildOvfDescriptor(VM);
    expect(parseOvf(xml)).toEqual({
      vmName: 'web01',
      files: [
        { id: 'file1', href: 'web01-disk1.vmdk', size: 123_456, compression: undefined },
        { id: 'file2', href: 'web01-disk2.vmdk', size: 789, compression: undefined },
      ],
      disks: [
        { diskId: 'vmdisk1', fileRef: 'file1', capacityBytes: 16 * GiB },
        { diskId: 'vmdisk2', fileRef: 'file2', capacityBytes: GiB },
      ],
    });
  });

  it('writes the vSphere dialect: namespaces, sections and hardware', () => {
    const xml = buildOvfDescriptor(VM);
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement!;
    expect([root.namespaceURI, root.localName]).toEqual([OVF_NS, 'Envelope']);
    expect([...root.childNodes].filter((n) => n.nodeType === 1).map((n) => (n as Element).localName)).toEqual([
      'References',
      'DiskSection',
      'NetworkSection',
      'VirtualSystem',
    ]);
    const disk = doc.getElementsByTagNameNS(OVF_NS, 'Disk')[0]!;
    expect(disk.getAttributeNS(OVF_NS, 'capacityAllocationUnits')).toBe('byte');
    expect(disk.getAttributeNS(OVF_NS, 'format')).toBe(VMDK_FORMAT_URL.streamOptimized);
    expect(Array.from(doc.getElementsByTagNameNS(OVF_NS, 'Network')).map((n) => n.getAttributeNS(OVF_NS, 'name'))).toEqual(['VM Network', 'Backup LAN']);
    expect(doc.getElementsByTagNameNS(OVF_NS, 'OperatingSystemSection')[0]!.getAttributeNS(VMW_NS, 'osType')).toBe('ubuntu64Guest');
    expect(doc.getElementsByTagNameNS(VSSD_NS, 'VirtualSystemType')[0]!.textContent).toBe('vmx-19');
    const config = doc.getElementsByTagNameNS(VMW_NS, 'Config')[0]!;
    expect([config.getAttributeNS(VMW_NS, 'key'), config.getAttributeNS(VMW_NS, 'value')]).toEqual(['firmware', 'efi']);

    const all = items(xml);
    expect(all.map((i) => i.ResourceType)).toEqual(['3', '4', '6', '17', '17', '10', '10']);
    expect(all[0]).toMatchObject({ VirtualQuantity: '2', InstanceID: '1' });
    expect(all[1]).toMatchObject({ VirtualQuantity: '4096', AllocationUnits: 'byte * 2^20' });
    expect(all[2]).toMatchObject({ ResourceSubType: 'lsilogic', InstanceID: '3', Address: '0' });
    expect(all[3]).toMatchObject({ HostResource: 'ovf:/disk/vmdisk1', Parent: '3', AddressOnParent: '0' });
    expect(all[4]).toMatchObject({ HostResource: 'ovf:/disk/vmdisk2', Parent: '3', AddressOnParent: '1' });
    expect(all[6]).toMatchObject({ Connection: 'Backup LAN', ResourceSubType: 'E1000' });
    // The CIM schema orders rasd elements alphabetically; validators insist on it.
    for (const item of all) expect(Object.keys(item)).toEqual(Object.keys(item).sort());
  });

  it('keeps each disk on its bus, skips SCSI unit 7, adds controllers as needed', () => {
    const disk = (fileName: string, bus: 'scsi' | 'sata' | 'nvme' | 'ide') => ({
      fileName,
      fileSize: 1,
      capacityBytes: 1,
      format: VMDK_FORMAT_URL.streamOptimized,
      bus,
    });
    const scsi = Array.from({ length: 16 }, (_, i) => disk(`s${i}.vmdk`, 'scsi'));
    const xml = buildOvfDescriptor({
      name: 'vm',
      cpus: 1,
      memoryMiB: 512,
      scsiControllerType: 'VirtualSCSI',
      disks: [disk('n.vmdk', 'nvme'), ...scsi, disk('a.vmdk', 'sata'), disk('i.vmdk', 'ide')],
    });
    const all = items(xml);
    const controllers = all.filter((i) => ['5', '6', '20'].includes(i.ResourceType!));
    expect(controllers.map((c) => [c.ElementName, c.ResourceSubType])).toEqual([
      ['NVME controller 0', 'vmware.nvme.controller'],
      ['SCSI controller 0', 'VirtualSCSI'],
      ['SCSI controller 1', 'VirtualSCSI'],
      ['SATA controller 0', 'vmware.sata.ahci'],
      ['IDE controller 0', undefined],
    ]);
    const disks = all.filter((i) => i.ResourceType === '17');
    expect(disks.slice(1, 17).map((d) => d.AddressOnParent)).toEqual([...'0 1 2 3 4 5 6 8 9 10 11 12 13 14 15 0'.split(' ')]);
    expect(disks[16]!.Parent).toBe(controllers[2]!.InstanceID);
  });

  it('escapes names so the XML stays well-formed and reads back unchanged', () => {
    const name = `A&B <"test"> 'vm'\tx`;
    const xml = buildOvfDescriptor({ ...VM, name, networks: [{ name: 'net "1" & <2>' }] });
    expect(parseOvf(xml).vmName).toBe(name);
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    expect(doc.getElementsByTagNameNS(OVF_NS, 'VirtualSystem')[0]!.getAttributeNS(OVF_NS, 'id')).toBe(name);
    expect(doc.getElementsByTagNameNS(OVF_NS, 'Network')[0]!.getAttributeNS(OVF_NS, 'name')).toBe('net "1" & <2>');
    expect(escapeXml('a\u0001b')).toBe('a\ufffdb');
  });

  it('omits NetworkSection and firmware config when there is nothing to say', () => {
    const xml = buildOvfDescriptor({ ...VM, networks: undefined, firmware: 'bios', guestOsId: undefined, hardwareVersion: undefined });
    expect(xml).not.toContain('NetworkSection');
    expect(xml).not.toContain('vmw:Config');
    expect(xml).toContain('vmw:osType="otherGuest"');
    expect(xml).toContain('<vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>');
  });

  it('refuses invalid descriptions with a message naming the VM', () => {
    expect(() => buildOvfDescriptor({ ...VM, cpus: 0 })).toThrow(/VM "web01": invalid CPU count 0/);
    expect(() => buildOvfDescriptor({ ...VM, disks: [{ ...VM.disks[0]!, fileName: '../x.vmdk' }] })).toThrow(/unsafe file name "\.\.\/x\.vmdk"/);
    expect(() => buildOvfDescriptor({ ...VM, disks: [VM.disks[0]!, VM.disks[0]!] })).toThrow(/listed twice/);
  });
});
