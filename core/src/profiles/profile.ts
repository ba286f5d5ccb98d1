// An export profile: named, reusable export settings (`hyperexport export --profile NAME`).
// A profile is plain JSON, so it is checked as untrusted input: unknown fields are errors (a
// misspelt `compres` must not silently export uncompressed) and every problem is listed at once.
import * as t from 'typanion';
import { ConfigError } from '../errors.ts';
import type { ExportFormat } from '../model.ts';
import { formatTypanionError } from '../schema-errors.ts';

/** The encryption schemes a profile can ask for. */
export type ProfileEncryption = 'aes' | 'pgp';

export interface ExportProfile {
  /** What the profile is for; shown by `hyperexport profiles list`. */
  description?: string;
  format?: ExportFormat;
  /** How many disks are read at once (1..64). */
  parallel?: number;
  /** Replace an existing export of the same name. */
  overwrite?: boolean;
  /** Local destination directory. */
  output?: string;
  /** Take a snapshot of the VM before the export. */
  snapshotBefore?: boolean;
  /** Keep that snapshot after the export instead of removing it. */
  keepSnapshot?: boolean;
  /** Compression algorithm, optionally with a level: `zstd`, `gzip:6`. */
  compress?: string;
  encrypt?: ProfileEncryption;
  /** Storage URLs to store the export at, e.g. `s3://bucket/prefix`, `sftp://host/path`. */
  targets?: string[];
  /** Base name template of the export, e.g. `{vm}-{timestamp}`. */
  name?: string;
  /** Stream to the targets with no local copy. */
  streamUpload?: boolean;
  /** Keep the local copy after the uploads are verified. */
  keepLocal?: boolean;
  /** Convert the disks with qemu-img: qcow2, vhd, vhdx, vdi, raw. */
  convert?: string;
  /** Bandwidth cap in rclone syntax, e.g. `10M` or `"08:00,512k 19:00,off"`. */
  bwlimit?: string;
  /** A file holding the encryption passphrase (never the passphrase itself). */
  passphraseFile?: string;
  /** A raw 32-byte AES key file. */
  keyFile?: string;
  /** OpenPGP public key files to encrypt to. */
  recipients?: string[];
  /** Notification URLs (secrets as env:NAME or @FILE). */
  notify?: string[];
  /** Labels kept in the export's record. */
  tags?: string[];
}

/** The fields a profile may have, in the order they are written to a file. */
export const PROFILE_FIELDS = [
  'description',
  'format',
  'parallel',
  'overwrite',
  'output',
  'snapshotBefore',
  'keepSnapshot',
  'compress',
  'encrypt',
  'targets',
  'name',
  'streamUpload',
  'keepLocal',
  'convert',
  'bwlimit',
  'passphraseFile',
  'keyFile',
  'recipients',
  'notify',
  'tags',
] as const satisfies ReadonlyArray<keyof ExportProfile>;

/** The shape of a profile; `checkProfile` adds the checks typanion cannot phrase well. */
export const isExportProfile: t.StrictValidator<unknown, ExportProfile> = t.isObject({
  description: t.isOptional(t.isString()),
  format: t.isOptional(t.isEnum(['ova', 'ovf'] as const)),
  parallel: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 64)])),
  overwrite: t.isOptional(t.isBoolean()),
  output: t.isOptional(t.isString()),
  snapshotBefore: t.isOptional(t.isBoolean()),
  keepSnapshot: t.isOptional(t.isBoolean()),
  compress: t.isOptional(t.isString()),
  encrypt: t.isOptional(t.isEnum(['aes', 'pgp'] as const)),
  targets: t.isOptional(t.isArray(t.isString())),
  name: t.isOptional(t.isString()),
  streamUpload: t.isOptional(t.isBoolean()),
  keepLocal: t.isOptional(t.isBoolean()),
  convert: t.isOptional(t.isEnum(['qcow2', 'vhd', 'vhdx', 'vdi', 'raw'] as const)),
  bwlimit: t.isOptional(t.isString()),
  passphraseFile: t.isOptional(t.isString()),
  keyFile: t.isOptional(t.isString()),
  recipients: t.isOptional(t.isArray(t.isString())),
  notify: t.isOptional(t.isArray(t.isString())),
  tags: t.isOptional(t.isArray(t.isString())),
});

// An algorithm name and an optional numeric level; which algorithms exist is up to the
// compression plugin, so the name itself is not checked here.
const COMPRESS_PATTERN = /^[a-z][a-z0-9-]*(?::\d{1,2})?$/;

export type ProfileCheck = { ok: true; profile: ExportProfile } | { ok: false; problems: string[] };

/**
 * Checks an untrusted value (parsed JSON, flags) against the profile schema and returns either
 * the profile, with its fields in canonical order, or every problem found.
 */
export function checkProfile(value: unknown): ProfileCheck {
  if (Array.isArray(value)) return { ok: false, problems: ['a profile is a JSON object ({ ... }), not an array'] };
  const errors: string[] = [];
  const shapeOk = isExportProfile(value, { errors });
  const problems = errors.map((message) =>
    formatTypanionError(message, { key: 'profile field', knownKeys: PROFILE_FIELDS, notAnObject: 'a profile is a JSON object ({ ... })' }),
  );
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const compress = record.compress;
    if (typeof compress === 'string' && !COMPRESS_PATTERN.test(compress)) {
      problems.push(`compress: "${compress}" is not an algorithm with an optional level (e.g. "zstd", "gzip:6")`);
    }
    if (Array.isArray(record.targets)) {
      record.targets.forEach((target: unknown, index) => {
        if (typeof target === 'string' && !isStorageUrl(target)) {
          problems.push(`targets[${index}]: "${target}" is not a storage URL (e.g. "s3://bucket/prefix", "file:///backups")`);
        }
      });
    }
  }
  if (!shapeOk || problems.length > 0) return { ok: false, problems };
  return { ok: true, profile: normalizeProfile(value as ExportProfile) };
}

/** A copy with the fields in canonical order and unset ones left out. */
export function normalizeProfile(profile: ExportProfile): ExportProfile {
  const out: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) {
    const value = profile[field];
    if (value !== undefined) out[field] = Array.isArray(value) ? [...value] : value;
  }
  return out as ExportProfile;
}

function isStorageUrl(value: string): boolean {
  // A scheme of at least two letters, so that a Windows drive letter (`C:\x`) is not taken for one.
  return /^[a-z][a-z0-9+.-]+:/i.test(value) && URL.canParse(value);
}

const NAME_MAX_LENGTH = 64;
const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Why `name` cannot name a profile, or undefined when it can. */
export function profileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a profile name cannot be empty';
  if (name.length > NAME_MAX_LENGTH) return `profile name "${name.slice(0, 20)}..." is ${name.length} characters long; at most ${NAME_MAX_LENGTH} are allowed`;
  if (name.startsWith('.')) return `profile name "${name}" starts with "."; names cannot be hidden files or relative paths`;
  if (!NAME_PATTERN.test(name)) {
    const bad = [...new Set([...name].filter((char) => !/[A-Za-z0-9._-]/.test(char)))].map((char) => JSON.stringify(char)).join(', ');
    return `profile name "${name}" contains ${bad}; use only letters, digits, ".", "_" and "-"`;
  }
  return undefined;
}

/**
 * Checks a profile name, which becomes a file name in the profiles folder: letters, digits, `.`,
 * `_` and `-`, 1 to 64 characters, not starting with `.`. So a name can never be a path (no
 * separators), climb out of the folder (`..`) or hide a file. Throws a ConfigError otherwise.
 */
export function validateProfileName(name: string): void {
  const problem = profileNameProblem(name);
  if (problem) throw new ConfigError(problem, { hint: 'profile names are letters, digits, ".", "_" and "-", 1 to 64 characters, not starting with "."' });
}
