// The disk formats a conversion can produce, and how each is asked of `qemu-img convert`. The
// user-facing names are the hypervisors' (vhd); qemu-img's own names differ (vpc).

export const TARGET_FORMATS = ['qcow2', 'vhd', 'vhdx', 'vdi', 'raw'] as const;
export type TargetFormat = (typeof TARGET_FORMATS)[number];

export type Subformat = 'dynamic' | 'fixed';

/** Per-format settings; every field has a documented default (README.md). */
export interface FormatSettings {
  readonly qcow2: { readonly compress: boolean; readonly clusterSize?: number | undefined };
  readonly vhd: { readonly subformat: Subformat; readonly forceSize: boolean };
  readonly vhdx: { readonly subformat: Subformat };
  readonly vdi: { readonly subformat: Subformat };
}

export const DEFAULT_FORMAT_SETTINGS: FormatSettings = Object.freeze<FormatSettings>({
  qcow2: { compress: false },
  // force_size keeps the exact virtual size: without it qemu rounds a VHD up to a CHS geometry,
  // and Azure refuses a VHD whose size is not a whole number of MiB.
  vhd: { subformat: 'dynamic', forceSize: true },
  vhdx: { subformat: 'dynamic' },
  vdi: { subformat: 'dynamic' },
});

interface TargetFormatInfo {
  /** qemu-img's driver name (`-O`, `driver=`). */
  readonly driver: string;
  /** File extension of the converted disks and of their folder. */
  readonly extension: string;
  /** Who reads it, for messages and the README. */
  readonly for: string;
}

export const TARGET_FORMAT_INFO: Readonly<Record<TargetFormat, TargetFormatInfo>> = Object.freeze({
  qcow2: { driver: 'qcow2', extension: 'qcow2', for: 'KVM/QEMU, Proxmox, OpenStack' },
  vhd: { driver: 'vpc', extension: 'vhd', for: 'Hyper-V (generation 1), Azure' },
  vhdx: { driver: 'vhdx', extension: 'vhdx', for: 'Hyper-V' },
  vdi: { driver: 'vdi', extension: 'vdi', for: 'VirtualBox' },
  raw: { driver: 'raw', extension: 'raw', for: 'any hypervisor, dd to a block device' },
});

export function isTargetFormat(value: unknown): value is TargetFormat {
  return typeof value === 'string' && (TARGET_FORMATS as readonly string[]).includes(value);
}

/** The `qemu-img convert` arguments that choose the output format and its options. */
export function outputArguments(format: TargetFormat, settings: FormatSettings): string[] {
  const args = ['-O', TARGET_FORMAT_INFO[format].driver];
  const options: string[] = [];
  switch (format) {
    case 'qcow2':
      if (settings.qcow2.compress) args.push('-c');
      if (settings.qcow2.clusterSize !== undefined) options.push(`cluster_size=${settings.qcow2.clusterSize}`);
      break;
    case 'vhd':
      options.push(`subformat=${settings.vhd.subformat}`, `force_size=${settings.vhd.forceSize ? 'on' : 'off'}`);
      break;
    case 'vhdx':
      options.push(`subformat=${settings.vhdx.subformat}`);
      break;
    case 'vdi':
      if (settings.vdi.subformat === 'fixed') options.push('static=on');
      break;
    case 'raw':
      break;
  }
  if (options.length > 0) args.push('-o', options.join(','));
  return args;
}

/** A short description of the chosen format and options, for info lines. */
export function describeTarget(format: TargetFormat, settings: FormatSettings): string {
  switch (format) {
    case 'qcow2':
      return `qcow2${settings.qcow2.compress ? ' (compressed)' : ''}`;
    case 'vhd':
      return `VHD (${settings.vhd.subformat})`;
    case 'vhdx':
      return `VHDX (${settings.vhdx.subformat})`;
    case 'vdi':
      return `VDI (${settings.vdi.subformat})`;
    case 'raw':
      return 'raw';
  }
}
