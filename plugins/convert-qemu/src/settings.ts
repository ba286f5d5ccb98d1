// What one job's conversion does: the plugin's options (config) merged with `spec.extra.convert`
// (the command line or a profile), which chooses the format and wins over the config.
import { ConfigError } from '@hyperexport/core';
import { DEFAULT_FORMAT_SETTINGS, isTargetFormat, TARGET_FORMATS } from './target-formats.ts';
import type { FormatSettings, Subformat, TargetFormat } from './target-formats.ts';

/** The plugin's options, as written in hyperexport.config.ts. */
export interface ConvertQemuOptions {
  /** Convert every export to this format; without it (and without --convert) the plugin does nothing. */
  format?: TargetFormat | undefined;
  qcow2?: { compress?: boolean | undefined; clusterSize?: number | undefined } | undefined;
  vhd?: { subformat?: Subformat | undefined; forceSize?: boolean | undefined } | undefined;
  vhdx?: { subformat?: Subformat | undefined } | undefined;
  vdi?: { subformat?: Subformat | undefined } | undefined;
  /** Keep the OVF folder or OVA after the conversion (default true). */
  keepExport?: boolean | undefined;
  /** The qemu-img program: a path, or a name looked up on PATH when it runs (default `qemu-img`). */
  qemuImg?: string | undefined;
}

export interface ConversionSettings {
  readonly format: TargetFormat;
  readonly formats: FormatSettings;
  readonly keepExport: boolean;
  readonly qemuImg: string;
}

/** Values of `spec.extra.convert` that mean "no conversion this time", even when the config sets a format. */
const OFF_VALUES: ReadonlySet<unknown> = new Set([false, 'none', 'off']);

const MIN_CLUSTER_SIZE = 512;
const MAX_CLUSTER_SIZE = 2 * 1024 * 1024;

/** Problems with the options that typanion's schema cannot express; empty when they are fine. */
export function checkOptions(options: ConvertQemuOptions): string[] {
  const problems: string[] = [];
  const clusterSize = options.qcow2?.clusterSize;
  if (clusterSize !== undefined && !isValidClusterSize(clusterSize)) {
    problems.push(
      `qcow2.clusterSize is ${clusterSize}; it must be a power of two from ${MIN_CLUSTER_SIZE} to ${MAX_CLUSTER_SIZE} bytes (qemu's default is 65536)`,
    );
  }
  return problems;
}

function isValidClusterSize(size: number): boolean {
  return Number.isInteger(size) && size >= MIN_CLUSTER_SIZE && size <= MAX_CLUSTER_SIZE && (size & (size - 1)) === 0;
}

/**
 * The conversion a job asks for, or undefined when it asks for none. Throws a ConfigError when
 * `spec.extra.convert` names a format we do not know.
 */
export function resolveConversion(options: ConvertQemuOptions, extra: Readonly<Record<string, unknown>>): ConversionSettings | undefined {
  const requested = extra.convert;
  if (OFF_VALUES.has(requested)) return undefined;
  let format: TargetFormat | undefined = options.format;
  if (requested !== undefined && requested !== null) {
    const normalized = typeof requested === 'string' ? requested.trim().toLowerCase() : requested;
    if (!isTargetFormat(normalized)) {
      throw new ConfigError(`--convert ${JSON.stringify(requested)} is not a format qemu-img conversion can produce; accepted: ${TARGET_FORMATS.join(', ')}`, {
        hint: `e.g. --convert qcow2 for KVM/QEMU, --convert vhdx for Hyper-V (or none to turn a configured conversion off)`,
      });
    }
    format = normalized;
  }
  if (format === undefined) return undefined;
  return {
    format,
    formats: {
      qcow2: {
        compress: options.qcow2?.compress ?? DEFAULT_FORMAT_SETTINGS.qcow2.compress,
        clusterSize: options.qcow2?.clusterSize,
      },
      vhd: {
        subformat: options.vhd?.subformat ?? DEFAULT_FORMAT_SETTINGS.vhd.subformat,
        forceSize: options.vhd?.forceSize ?? DEFAULT_FORMAT_SETTINGS.vhd.forceSize,
      },
      vhdx: { subformat: options.vhdx?.subformat ?? DEFAULT_FORMAT_SETTINGS.vhdx.subformat },
      vdi: { subformat: options.vdi?.subformat ?? DEFAULT_FORMAT_SETTINGS.vdi.subformat },
    },
    keepExport: options.keepExport ?? true,
    qemuImg: options.qemuImg ?? 'qemu-img',
  };
}

/**
 * Conversion reads the disks as the export stored them, so they must be plain: a `.vmdk.zst` or an
 * encrypted disk is not an image qemu-img can open. Returns why a job's other settings conflict,
 * or undefined.
 */
export function plainDiskConflict(extra: Readonly<Record<string, unknown>>): string | undefined {
  const set = (['compress', 'encrypt'] as const).filter((key) => isEnabled(extra[key]));
  if (set.length === 0) return undefined;
  const flags = set.map((key) => `--${key} ${describeSetting(extra[key])}`).join(' and ');
  return `conversion needs uncompressed, unencrypted disks, but ${flags} ${set.length === 1 ? 'is' : 'are'} set; export once with --convert (plain disks), and separately with ${set.length === 1 ? 'that option' : 'those options'} for an archive copy`;
}

function isEnabled(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false;
  if (typeof value === 'string' && ['none', 'off', 'false', 'no'].includes(value.trim().toLowerCase())) return false;
  return true;
}

function describeSetting(value: unknown): string {
  return typeof value === 'string' ? value : 'on';
}
