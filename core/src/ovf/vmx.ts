// Reads a VMware .vmx configuration: `key = "value"` lines, `#` comments, keys case-insensitive.
// VMware escapes special characters in values as `|XX` (hex), e.g. `|22` for a double quote.
import type { DiskBus, VmNetworkDescription } from './descriptor.ts';

/** Keys are lower-cased; values are unquoted and unescaped. */
export type VmxMap = ReadonlyMap<string, string>;

export interface VmxDisk {
  /** As written in the .vmx: usually a name next to it, sometimes a relative or absolute path. */
  readonly fileName: string;
  readonly bus: DiskBus;
}

export interface VmxDescription {
  readonly name: string;
  readonly guestOsId?: string | undefined;
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly firmware: 'bios' | 'efi';
  readonly hardwareVersion?: number | undefined;
  /** OVF ResourceSubType of the SCSI controller (from scsi0.virtualDev), when one is set. */
  readonly scsiControllerType?: string | undefined;
  /** Hard disks (not CD-ROMs) in controller order: SCSI, SATA, NVMe, IDE, then controller and unit. */
  readonly disks: readonly VmxDisk[];
  readonly networks: readonly VmNetworkDescription[];
}

export function parseVmx(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue; // not a setting; VMware itself ignores such lines
    const key = line.slice(0, eq).trim().toLowerCase();
    let value = line.slice(eq + 1).trim();
    const quoted = /^"(.*)"/.exec(value);
    // An unquoted value ends at a comment.
    value = quoted ? (quoted[1] ?? '') : (value.split('#')[0] ?? '').trim();
    map.set(
      key,
      value.replace(/\|([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    );
  }
  return map;
}

/** Describes the VM a parsed .vmx configures. `fallbackName` is used when there is no displayName. */
export function describeVmx(vmx: VmxMap, fallbackName = 'vm'): VmxDescription {
  const memsize = vmx.get('memsize');
  const memoryMiB = Number(memsize);
  if (memsize === undefined || !Number.isSafeInteger(memoryMiB) || memoryMiB < 1) {
    throw new Error(`the .vmx has ${memsize === undefined ? 'no memsize' : `an invalid memsize ${JSON.stringify(memsize)}`}; set memsize = "<MiB>"`);
  }
  const cpus = Number(vmx.get('numvcpus') ?? '1');
  if (!Number.isSafeInteger(cpus) || cpus < 1) throw new Error(`the .vmx has an invalid numvcpus ${JSON.stringify(vmx.get('numvcpus'))}`);
  const hardwareVersion = Number(vmx.get('virtualhw.version'));
  const guestOs = vmx.get('guestos');
  const scsiDev = vmx.get('scsi0.virtualdev')?.toLowerCase();

  return {
    name: vmx.get('displayname') || fallbackName,
    guestOsId: guestOs ? vsphereGuestId(guestOs) : undefined,
    cpus,
    memoryMiB,
    firmware: vmx.get('firmware')?.toLowerCase() === 'efi' ? 'efi' : 'bios',
    hardwareVersion: Number.isSafeInteger(hardwareVersion) && hardwareVersion > 0 ? hardwareVersion : undefined,
    scsiControllerType: scsiDev ? (SCSI_SUBTYPE[scsiDev] ?? scsiDev) : undefined,
    disks: findDisks(vmx),
    networks: findNetworks(vmx),
  };
}

const isTrue = (value: string | undefined): boolean => value !== undefined && /^(true|yes|1)$/i.test(value);
/** VMware treats a device without `.present` as absent, except that disks are always written with it. */
const isPresent = (vmx: VmxMap, device: string): boolean => isTrue(vmx.get(`${device}.present`));

const BUS_ORDER: readonly DiskBus[] = ['scsi', 'sata', 'nvme', 'ide'];

function findDisks(vmx: VmxMap): VmxDisk[] {
  const found: { disk: VmxDisk; order: [number, number, number] }[] = [];
  for (const [key, fileName] of vmx) {
    const match = /^(scsi|sata|nvme|ide)(\d+):(\d+)\.filename$/.exec(key);
    if (!match) continue;
    const [, bus, controller, unit] = match as unknown as [string, DiskBus, string, string];
    const device = `${bus}${controller}:${unit}`;
    if (!isPresent(vmx, device) || !isPresent(vmx, `${bus}${controller}`)) continue;
    const deviceType = vmx.get(`${device}.devicetype`)?.toLowerCase();
    // SCSI disks often have no deviceType; CD-ROMs always say cdrom-image, cdrom-raw or atapi-cdrom.
    const isDisk = deviceType === undefined ? /\.vmdk$/i.test(fileName) : /harddisk|^disk$/.test(deviceType);
    if (!isDisk || fileName === '') continue;
    found.push({ disk: { fileName, bus }, order: [BUS_ORDER.indexOf(bus), Number(controller), Number(unit)] });
  }
  found.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2]);
  return found.map((f) => f.disk);
}

const NIC_SUBTYPE: Readonly<Record<string, string>> = {
  vmxnet3: 'VmxNet3',
  vmxnet2: 'VmxNet2',
  vmxnet: 'VmxNet',
  e1000: 'E1000',
  e1000e: 'E1000e',
  vlance: 'PCNet32',
};

const SCSI_SUBTYPE: Readonly<Record<string, string>> = {
  lsilogic: 'lsilogic',
  lsisas1068: 'lsilogicsas',
  pvscsi: 'VirtualSCSI',
  buslogic: 'buslogic',
};

function findNetworks(vmx: VmxMap): VmNetworkDescription[] {
  const indexes = [...vmx.keys()]
    .map((key) => /^ethernet(\d+)\.present$/.exec(key)?.[1])
    .filter((n): n is string => n !== undefined && isPresent(vmx, `ethernet${n}`))
    .map(Number)
    .sort((a, b) => a - b);
  return indexes.map((n) => {
    const dev = vmx.get(`ethernet${n}.virtualdev`)?.toLowerCase();
    return {
      // Workstation VMs have no network name (they use connectionType); vSphere's default network
      // name is the most useful placeholder, and importers ask the user to map networks anyway.
      name: vmx.get(`ethernet${n}.networkname`) || 'VM Network',
      adapterType: dev ? (NIC_SUBTYPE[dev] ?? 'E1000') : 'E1000',
    };
  });
}

// .vmx guestOS values whose vSphere guest id does not follow from a simple rule.
const GUEST_IDS: Readonly<Record<string, string>> = {
  other: 'otherGuest',
  'other-64': 'otherGuest64',
  otherlinux: 'otherLinuxGuest',
  'otherlinux-64': 'otherLinux64Guest',
  'other3xlinux-64': 'other3xLinux64Guest',
  'other4xlinux-64': 'other4xLinux64Guest',
  'other5xlinux-64': 'other5xLinux64Guest',
  ubuntu: 'ubuntuGuest',
  'ubuntu-64': 'ubuntu64Guest',
  'centos-64': 'centos64Guest',
  'windows9-64': 'windows9_64Guest',
  windows9: 'windows9Guest',
  'windows2019srv-64': 'windows2019srv_64Guest',
  'windows2019srvnext-64': 'windows2019srvNext_64Guest',
  'freebsd-64': 'freebsd64Guest',
};

/**
 * Maps a .vmx guestOS (e.g. `rhel8-64`) to a vSphere guest id (`rhel8_64Guest`): a table for the
 * irregular ones, the `NAME-64` → `NAME_64Guest` rule for versioned names, otherwise unchanged.
 */
export function vsphereGuestId(guestOs: string): string {
  const key = guestOs.toLowerCase();
  const known = GUEST_IDS[key];
  if (known) return known;
  if (/guest$/i.test(guestOs)) return guestOs; // already a vSphere id
  const versioned = /^(rhel|centos|debian|sles|freebsd|windows)(\d+)-64$/.exec(key);
  if (versioned) return `${versioned[1]}${versioned[2]}_64Guest`;
  return guestOs;
}
