// The checks an OVF package needs whatever it is packed in (a folder or an OVA): the descriptor
// parses, every file it references is there with the size it declares, the manifest's digests
// match the bytes, and each disk passes `qemu-img check`. Files are reached through PackageFile,
// so an OVA member is read in place as a byte range and a folder's file as a whole file.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { formatBytes, parseManifest, parseOvf, runWithConcurrency } from '@hyperexport/core';
import type { ImageLocation, ManifestAlgorithm, ParsedOvf, ValidationIssue } from '@hyperexport/core';
import { errorIssue, errorMessage, warningIssue } from './issues.ts';
import { imageDriverFor, qemuImgCheck, resolveQemuImg } from './qemu-img.ts';

/** One file of a package as the checks see it. */
export interface PackageFile {
  readonly name: string;
  readonly size: number;
  /** Opens the bytes (a fresh stream each time). */
  open(signal?: AbortSignal): Readable;
  /** Where the bytes are, for qemu-img. */
  readonly location: ImageLocation;
}

export interface PackageCheckOptions {
  /**
   * `qemu-img check` the disks: `true` (default) when qemu-img is on PATH, a string names the
   * program, `false` skips the check.
   */
  readonly qemuImg?: boolean | string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A descriptor or manifest larger than this is not one (they are kilobytes). */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

const HASH_NAMES: Readonly<Record<ManifestAlgorithm, string>> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

const EXPORT_AGAIN = 'export the VM again';

/** Files hashed at once: SHA-256 is CPU-bound, and two streams keep a disk and a core busy. */
const HASH_PARALLELISM = 2;

/** What checkPackageContents found, and the parsed descriptor when it parsed. */
export interface PackageContentsResult {
  readonly issues: ValidationIssue[];
  readonly ovf: ParsedOvf | undefined;
  /** The manifest's name when the package has one. */
  readonly manifestName: string | undefined;
}

/**
 * Checks the package whose descriptor is `descriptorName` among `files` (every file of the
 * package by name). The manifest is the `.mf` with the descriptor's base name, as the OVF
 * specification names it.
 */
export async function checkPackageContents(
  descriptorName: string,
  files: ReadonlyMap<string, PackageFile>,
  options: PackageCheckOptions = {},
): Promise<PackageContentsResult> {
  const issues: ValidationIssue[] = [];
  const { signal } = options;
  const descriptor = files.get(descriptorName);
  if (!descriptor) {
    issues.push(errorIssue('ovf-descriptor', `the descriptor ${descriptorName} is missing: the export is incomplete; ${EXPORT_AGAIN}`));
    return { issues, ovf: undefined, manifestName: undefined };
  }

  let ovf: ParsedOvf;
  try {
    ovf = parseOvf(await readText(descriptor, signal));
  } catch (error) {
    signal?.throwIfAborted();
    issues.push(errorIssue('ovf-descriptor', `${descriptorName}: ${errorMessage(error)}: the descriptor is damaged; ${EXPORT_AGAIN}`));
    return { issues, ovf: undefined, manifestName: undefined };
  }

  // References: every file the descriptor names is in the package with the size it declares.
  const referenced = new Set<string>();
  for (const ref of ovf.files) {
    if (isUrl(ref.href)) {
      issues.push(
        warningIssue('ovf-references', `${descriptorName} refers to ${ref.href} outside the package; it was not checked, and importing needs access to it`),
      );
      continue;
    }
    referenced.add(ref.href);
    const file = files.get(ref.href);
    if (!file) {
      issues.push(
        errorIssue('ovf-references', `${ref.href} is referenced by ${descriptorName} but is not in the export: the export is incomplete; ${EXPORT_AGAIN}`),
      );
    } else if (ref.size !== undefined && ref.size !== file.size) {
      issues.push(
        errorIssue(
          'file-size',
          `${ref.href} is ${file.size} bytes but ${descriptorName} declares ${ref.size} (${formatBytes(ref.size)}): the file is truncated or was changed; ${EXPORT_AGAIN}`,
        ),
      );
    }
  }

  const manifestName = `${descriptorName.replace(/\.ovf$/i, '')}.mf`;
  const manifest = files.get(manifestName);
  for (const name of files.keys()) {
    if (name === descriptorName || name === manifestName || isCertificate(name) || referenced.has(name)) continue;
    issues.push(
      warningIssue(
        'ovf-references',
        `${name} is in the export but ${descriptorName} does not reference it: importers ignore it; remove it if it is not meant to be there`,
      ),
    );
  }

  // Manifest: every listed digest matches the bytes, re-read from storage. Disks: qemu-img check
  // each image it knows the format of (uncompressed only). Both read the disks: run them at once.
  const verifyManifest = async (): Promise<ValidationIssue[]> => {
    if (!manifest) {
      return [
        warningIssue(
          'manifest',
          `the export has no manifest (${manifestName}), so its files cannot be verified; export it with HyperExport or ovftool to get one`,
        ),
      ];
    }
    const protectedNames = [descriptorName, ...[...referenced].filter((name) => files.has(name))];
    return checkManifest(manifest, files, protectedNames, signal);
  };
  const checkDisks = async (): Promise<ValidationIssue[]> => {
    const program = await resolveQemuImg(options.qemuImg);
    if (!program) return [];
    const found: ValidationIssue[] = [];
    for (const ref of ovf.files) {
      const file = files.get(ref.href);
      const driver = imageDriverFor(ref.href);
      if (!file || !driver || ref.compression !== undefined) continue;
      found.push(...(await checkDisk(program, driver, file, signal)));
    }
    return found;
  };
  for (const found of await Promise.all([verifyManifest(), checkDisks()])) issues.push(...found);
  return { issues, ovf, manifestName: manifest ? manifestName : undefined };
}

/** `protectedNames`: the files a manifest must list (the descriptor and the referenced files). */
async function checkManifest(
  manifest: PackageFile,
  files: ReadonlyMap<string, PackageFile>,
  protectedNames: readonly string[],
  signal: AbortSignal | undefined,
): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  let entries;
  try {
    entries = parseManifest(await readText(manifest, signal));
  } catch (error) {
    signal?.throwIfAborted();
    return [errorIssue('manifest', `${manifest.name}: ${errorMessage(error)}: the manifest is damaged; ${EXPORT_AGAIN}`)];
  }
  const verified = await runWithConcurrency(
    [...entries],
    HASH_PARALLELISM,
    async ([name, entry]): Promise<ValidationIssue | undefined> => {
      const file = files.get(name);
      if (!file) return errorIssue('manifest', `${manifest.name} lists ${name}, which is not in the export: the export is incomplete; ${EXPORT_AGAIN}`);
      const actual = await hashFile(file, HASH_NAMES[entry.algorithm], signal);
      if (actual === entry.hex) return undefined;
      return errorIssue(
        'manifest',
        `${name}: its ${entry.algorithm} is ${actual}, ${manifest.name} says ${entry.hex}: the file is corrupt or was changed after the export; ${EXPORT_AGAIN}`,
      );
    },
    () => {},
    signal ?? new AbortController().signal,
  );
  for (const issue of verified) if (issue) issues.push(issue);
  for (const name of protectedNames) {
    if (!entries.has(name))
      issues.push(
        warningIssue(
          'manifest',
          `${name} is not listed in ${manifest.name}, so its content cannot be verified; export the VM again to get a complete manifest`,
        ),
      );
  }
  return issues;
}

async function checkDisk(program: string, driver: string, file: PackageFile, signal: AbortSignal | undefined): Promise<ValidationIssue[]> {
  let result;
  try {
    result = await qemuImgCheck(program, driver, file.location, signal);
  } catch (error) {
    signal?.throwIfAborted();
    return [
      errorIssue(
        'qemu-img',
        `could not run ${program} (${errorMessage(error)}): install qemu-utils, fix the validate plugin's qemuImg option, or set it to false`,
      ),
    ];
  }
  const said = summarize(result.output);
  switch (result.status) {
    case 'ok':
    case 'unsupported':
      return [];
    case 'leaks':
      return [
        warningIssue(
          'qemu-img',
          `${file.name}: qemu-img check found leaked clusters (wasted space, no data lost)${said}; \`qemu-img convert\` rewrites the image without them`,
        ),
      ];
    case 'corrupt':
    case 'failed':
      return [errorIssue('qemu-img', `${file.name}: qemu-img check found the disk image damaged${said}; ${EXPORT_AGAIN}`)];
  }
}

/** qemu-img's explanation, on one line and short enough for a terminal. */
function summarize(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join('; ');
  if (!lines) return '';
  return ` (${lines.length > 300 ? `${lines.slice(0, 300)}…` : lines})`;
}

async function readText(file: PackageFile, signal: AbortSignal | undefined): Promise<string> {
  if (file.size > MAX_TEXT_BYTES) throw new Error(`${file.name} is ${formatBytes(file.size)}, far larger than a descriptor or manifest can be`);
  return text(file.open(signal));
}

/** Hashes a file as a stream: disks are never held in memory. */
export async function hashFile(file: PackageFile, algorithm: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of file.open(signal)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function isUrl(href: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(href);
}

/** The signing certificate that may follow the manifest; never referenced, never in the manifest. */
function isCertificate(name: string): boolean {
  return name.toLowerCase().endsWith('.cert');
}
