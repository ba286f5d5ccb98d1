// The profiles every installation has. They are read-only and their names are reserved: a saved
// file cannot shadow one, so `--profile production-backup` means the same thing on every machine.
// A profile only sets what it needs; anything it leaves out falls back to the config's `export`
// section (a key set here and read by no configured plugin is reported, never ignored).
import type { ExportProfile } from './profile.ts';

export const BUILTIN_PROFILES: Readonly<Record<string, Readonly<ExportProfile>>> = deepFreeze({
  'quick-export': {
    description: 'Fast local copy: an OVF folder, no compression',
    format: 'ovf',
  },
  'production-backup': {
    description: 'Verified OVA backup compressed with zstd (the checks come from the validate plugin, on by default)',
    format: 'ova',
    compress: 'zstd',
  },
  'encrypted-backup': {
    description: 'OVA compressed with zstd and encrypted with AES',
    format: 'ova',
    compress: 'zstd',
    encrypt: 'aes',
  },
  'cloud-backup': {
    description: 'OVA compressed with zstd for object storage; set targets (e.g. s3://bucket/prefix) in a copy or with --upload URL',
    format: 'ova',
    compress: 'zstd',
    targets: [],
  },
  development: {
    description: 'Quick iterations: an OVF folder, 2 disks at once, replacing the previous export',
    format: 'ovf',
    parallel: 2,
    overwrite: true,
  },
});

/** The built-in profile names, in the order they are listed. */
export const BUILTIN_PROFILE_NAMES: readonly string[] = Object.freeze(Object.keys(BUILTIN_PROFILES));

export function isBuiltinProfileName(name: string): boolean {
  return Object.hasOwn(BUILTIN_PROFILES, name);
}

/** A mutable copy of a built-in profile, or undefined when there is none of that name. */
export function builtinProfile(name: string): ExportProfile | undefined {
  const profile = isBuiltinProfileName(name) ? BUILTIN_PROFILES[name] : undefined;
  return profile ? (structuredClone(profile) as ExportProfile) : undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
