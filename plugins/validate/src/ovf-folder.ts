// Checks an OVF folder: a descriptor, its manifest and the files it references, each a file of
// its own. Used on the staged files of an export before they are published, and usable on any
// OVF folder (a later `hyperexport verify`).
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ValidationIssue } from '@hyperexport/core';
import { errorIssue, errorMessage } from './issues.ts';
import { checkPackageContents } from './package-contents.ts';
import type { PackageCheckOptions, PackageFile } from './package-contents.ts';

/**
 * Checks the package whose descriptor is `descriptorName`, given where each of its files is
 * (name → local path). A file whose path does not exist counts as missing.
 */
export async function checkOvfFiles(descriptorName: string, paths: ReadonlyMap<string, string>, options: PackageCheckOptions = {}): Promise<ValidationIssue[]> {
  const files = new Map<string, PackageFile>();
  for (const [name, path] of paths) {
    let size: number;
    try {
      const stats = await stat(path);
      if (!stats.isFile()) continue;
      size = stats.size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    files.set(name, {
      name,
      size,
      open: (signal) => createReadStream(path, signal ? { signal } : {}),
      location: { path },
    });
  }
  return (await checkPackageContents(descriptorName, files, options)).issues;
}

/**
 * Checks the OVF folder `directory` (every regular file in it is part of the package). The
 * descriptor is the folder's one `.ovf` file, or `options.descriptor` when it has several.
 */
export async function checkOvfFolder(directory: string, options: PackageCheckOptions & { descriptor?: string | undefined } = {}): Promise<ValidationIssue[]> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    return [errorIssue('ovf-descriptor', `cannot read the OVF folder ${directory}: ${errorMessage(error)}; give the folder that holds the .ovf file`)];
  }
  const names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  let descriptor = options.descriptor === undefined ? undefined : basename(options.descriptor);
  if (descriptor === undefined) {
    const descriptors = names.filter((name) => name.toLowerCase().endsWith('.ovf'));
    if (descriptors.length !== 1) {
      const found = descriptors.length === 0 ? 'no .ovf descriptor' : `${descriptors.length} .ovf descriptors (${descriptors.join(', ')})`;
      return [
        errorIssue('ovf-descriptor', `${directory} has ${found}: ${descriptors.length === 0 ? 'it is not an OVF export' : 'name the descriptor to check'}`),
      ];
    }
    descriptor = descriptors[0]!;
  }
  return checkOvfFiles(descriptor, new Map(names.map((name) => [name, join(directory, name)])), options);
}
