// Builds an OVF 1.0 descriptor in the dialect vSphere itself writes, for sources that have no
// OVF of their own (a local .vmx folder). vSphere, ovftool and VirtualBox import it.
// Elements inside a rasd Item are written in alphabetical order: the CIM schema declares them
// as a sequence in that order, and strict validators (ovftool) reject any other order.
import { escapeXml } from '../xml-escape.ts';
import { assertSafeFileName } from './safe-name.ts';
import { CIM_NS, OVF_NS, RASD_NS, VMW_NS, VSSD_NS, XSI_NS } from './namespaces.ts';

/** The bus a disk is attached to. Keeping the source's bus keeps the guest's boot drivers valid. */
export type DiskBus = 'scsi' | 'sata' | 'ide' | 'nvme';

export interface VmDiskDescription {
  /** File name in the export (References ovf:href). */
  readonly fileName: string;
  /** Bytes of the file as exported. */
  readonly fileSize: number;
  /** Capacity of the virtual disk as the guest sees it, in bytes. */
  readonly capacityBytes: number;
  /** OVF disk format URL, e.g. VMDK_FORMAT_URL.streamOptimized. */
  readonly format: string;
  /** Default: scsi. */
  readonly bus?: DiskBus | undefined;
}

export interface VmNetworkDescription {
  /** Network name the adapter connects to; importers ask the user to map it. */
  readonly name: string;
  /** OVF ResourceSubType of the adapter, e.g. VmxNet3 or E1000; default VmxNet3. */
  readonly adapterType?: string | undefined;
}

export interface VmDescription {
  readonly name: string;
  /** vSphere guest id (e.g. ubuntu64Guest); default otherGuest. */
  readonly guestOsId?: string | undefined;
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly firmware?: 'bios' | 'efi' | undefined;
  /** Virtual hardware version (vmx-NN); default 13 (ESXi 6.5 and later import it). */
  readonly hardwareVersion?: number | undefined;
  /** OVF ResourceSubType of the SCSI controllers: lsilogic, lsilogicsas, VirtualSCSI, buslogic. */
  readonly scsiControllerType?: string | undefined;
  readonly disks: readonly VmDiskDescription[];
  readonly networks?: readonly VmNetworkDescription[] | undefined;
}

// rasd ResourceType values (CIM_ResourceAllocationSettingData).
const ResourceType = Object.freeze({ CPU: 3, MEMORY: 4, IDE: 5, SCSI: 6, ETHERNET: 10, DISK: 17, OTHER_STORAGE: 20 });

interface BusLayout {
  readonly resourceType: number;
  readonly subType?: string;
  readonly label: string;
  /** Unit numbers a disk can take on one controller. */
  readonly units: readonly number[];
  readonly maxControllers: number;
}

const range = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

const BUS_LAYOUT: Readonly<Record<DiskBus, BusLayout>> = {
  // Unit 7 is the SCSI controller's own id.
  scsi: { resourceType: ResourceType.SCSI, label: 'SCSI controller', units: range(16).filter((u) => u !== 7), maxControllers: 4 },
  sata: { resourceType: ResourceType.OTHER_STORAGE, subType: 'vmware.sata.ahci', label: 'SATA controller', units: range(30), maxControllers: 4 },
  nvme: { resourceType: ResourceType.OTHER_STORAGE, subType: 'vmware.nvme.controller', label: 'NVME controller', units: range(15), maxControllers: 4 },
  ide: { resourceType: ResourceType.IDE, label: 'IDE controller', units: range(2), maxControllers: 2 },
};

/** Returns the OVF XML text for `vm`. */
export function buildOvfDescriptor(vm: VmDescription): string {
  checkDescription(vm);
  const fileId = (i: number): string => `file${i + 1}`;
  const diskId = (i: number): string => `vmdisk${i + 1}`;
  const networks = vm.networks ?? [];
  const out: string[] = [];
  const line = (depth: number, text: string): void => {
    out.push(`${'  '.repeat(depth)}${text}`);
  };

  line(0, '<?xml version="1.0" encoding="UTF-8"?>');
  line(
    0,
    `<Envelope xmlns="${OVF_NS}" xmlns:cim="${CIM_NS}" xmlns:ovf="${OVF_NS}" xmlns:rasd="${RASD_NS}" xmlns:vmw="${VMW_NS}" xmlns:vssd="${VSSD_NS}" xmlns:xsi="${XSI_NS}">`,
  );

  line(1, '<References>');
  vm.disks.forEach((disk, i) => line(2, `<File ovf:href="${escapeXml(disk.fileName)}" ovf:id="${fileId(i)}" ovf:size="${disk.fileSize}"/>`));
  line(1, '</References>');

  line(1, '<DiskSection>');
  line(2, '<Info>Virtual disk information</Info>');
  vm.disks.forEach((disk, i) =>
    line(
      2,
      `<Disk ovf:capacity="${disk.capacityBytes}" ovf:capacityAllocationUnits="byte" ovf:diskId="${diskId(i)}" ovf:fileRef="${fileId(i)}" ovf:format="${escapeXml(disk.format)}"/>`,
    ),
  );
  line(1, '</DiskSection>');

  const networkNames = [...new Set(networks.map((n) => n.name))];
  if (networkNames.length > 0) {
    line(1, '<NetworkSection>');
    line(2, '<Info>The list of logical networks</Info>');
    for (const name of networkNames) {
      line(2, `<Network ovf:name="${escapeXml(name)}">`);
      line(3, `<Description>The ${escapeXml(name)} network</Description>`);
      line(2, '</Network>');
    }
    line(1, '</NetworkSection>');
  }

  line(1, `<VirtualSystem ovf:id="${escapeXml(vm.name)}">`);
  line(2, '<Info>A virtual machine</Info>');
  line(2, `<Name>${escapeXml(vm.name)}</Name>`);
  // ovf:id is the CIM operating system number; vSphere reads vmw:osType, which is precise, so
  // the CIM id stays "Other" rather than guessing a mapping.
  line(2, `<OperatingSystemSection ovf:id="1" vmw:osType="${escapeXml(vm.guestOsId ?? 'otherGuest')}">`);
  line(3, '<Info>The kind of installed guest operating system</Info>');
  line(2, '</OperatingSystemSection>');

  line(2, '<VirtualHardwareSection>');
  line(3, '<Info>Virtual hardware requirements</Info>');
  line(3, '<System>');
  line(4, '<vssd:ElementName>Virtual Hardware Family</vssd:ElementName>');
  line(4, '<vssd:InstanceID>0</vssd:InstanceID>');
  line(4, `<vssd:VirtualSystemIdentifier>${escapeXml(vm.name)}</vssd:VirtualSystemIdentifier>`);
  line(4, `<vssd:VirtualSystemType>vmx-${vm.hardwareVersion ?? 13}</vssd:VirtualSystemType>`);
  line(3, '</System>');

  let nextInstanceId = 1;
  const item = (fields: Record<string, string | number | undefined>): void => {
    line(3, '<Item>');
    for (const key of Object.keys(fields).sort()) {
      const value = fields[key];
      if (value !== undefined) line(4, `<rasd:${key}>${escapeXml(String(value))}</rasd:${key}>`);
    }
    line(3, '</Item>');
  };

  item({
    AllocationUnits: 'hertz * 10^6',
    Description: 'Number of Virtual CPUs',
    ElementName: `${vm.cpus} virtual CPU(s)`,
    InstanceID: nextInstanceId++,
    ResourceType: ResourceType.CPU,
    VirtualQuantity: vm.cpus,
  });
  item({
    AllocationUnits: 'byte * 2^20',
    Description: 'Memory Size',
    ElementName: `${vm.memoryMiB}MB of memory`,
    InstanceID: nextInstanceId++,
    ResourceType: ResourceType.MEMORY,
    VirtualQuantity: vm.memoryMiB,
  });

  // Controllers first (disks name them as Parent), one per bus and as many as the disks need.
  const controllerIds = new Map<string, number>(); // `${bus}:${index}` → InstanceID
  const diskSlots = placeDisks(vm.disks);
  for (const { bus, controller } of diskSlots) {
    const key = `${bus}:${controller}`;
    if (controllerIds.has(key)) continue;
    const layout = BUS_LAYOUT[bus];
    const id = nextInstanceId++;
    controllerIds.set(key, id);
    item({
      Address: controller,
      Description: layout.label,
      ElementName: `${layout.label} ${controller}`,
      InstanceID: id,
      ResourceSubType: bus === 'scsi' ? (vm.scsiControllerType ?? 'lsilogic') : layout.subType,
      ResourceType: layout.resourceType,
    });
  }
  diskSlots.forEach(({ bus, controller, unit }, i) => {
    item({
      AddressOnParent: unit,
      ElementName: `Hard disk ${i + 1}`,
      HostResource: `ovf:/disk/${diskId(i)}`,
      InstanceID: nextInstanceId++,
      Parent: controllerIds.get(`${bus}:${controller}`),
      ResourceType: ResourceType.DISK,
    });
  });

  networks.forEach((network, i) => {
    const adapter = network.adapterType ?? 'VmxNet3';
    item({
      AutomaticAllocation: 'true',
      Connection: network.name,
      Description: `${adapter} ethernet adapter on "${network.name}"`,
      ElementName: `Network adapter ${i + 1}`,
      InstanceID: nextInstanceId++,
      ResourceSubType: adapter,
      ResourceType: ResourceType.ETHERNET,
    });
  });

  if (vm.firmware === 'efi') line(3, '<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>');
  line(2, '</VirtualHardwareSection>');
  line(1, '</VirtualSystem>');
  line(0, '</Envelope>');
  return out.join('\n') + '\n';
}

/** Gives each disk a controller and unit on its bus, in the order the disks are listed. */
function placeDisks(disks: readonly VmDiskDescription[]): { bus: DiskBus; controller: number; unit: number }[] {
  const used = new Map<DiskBus, number>();
  return disks.map((disk) => {
    const bus = disk.bus ?? 'scsi';
    const layout = BUS_LAYOUT[bus];
    const n = used.get(bus) ?? 0;
    used.set(bus, n + 1);
    const controller = Math.floor(n / layout.units.length);
    if (controller >= layout.maxControllers) {
      throw new Error(`OVF descriptor: too many ${bus} disks (at most ${layout.maxControllers * layout.units.length})`);
    }
    return { bus, controller, unit: layout.units[n % layout.units.length] ?? 0 };
  });
}

function checkDescription(vm: VmDescription): void {
  const problem = (what: string): never => {
    throw new Error(`OVF descriptor for VM ${JSON.stringify(vm.name)}: ${what}`);
  };
  if (!vm.name) problem('the VM has no name');
  if (!Number.isSafeInteger(vm.cpus) || vm.cpus < 1) problem(`invalid CPU count ${vm.cpus}`);
  if (!Number.isSafeInteger(vm.memoryMiB) || vm.memoryMiB < 1) problem(`invalid memory size ${vm.memoryMiB} MiB`);
  const names = new Set<string>();
  for (const disk of vm.disks) {
    assertSafeFileName(disk.fileName, `OVF descriptor for VM ${JSON.stringify(vm.name)}`);
    if (names.has(disk.fileName)) problem(`disk file ${JSON.stringify(disk.fileName)} is listed twice`);
    names.add(disk.fileName);
    if (!Number.isSafeInteger(disk.fileSize) || disk.fileSize < 0) problem(`invalid size ${disk.fileSize} of ${disk.fileName}`);
    if (!Number.isSafeInteger(disk.capacityBytes) || disk.capacityBytes < 0) problem(`invalid capacity ${disk.capacityBytes} of ${disk.fileName}`);
  }
}
