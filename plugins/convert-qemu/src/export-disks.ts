// Finds the disks of a committed export on the local filesystem, in the descriptor's DiskSection
// order (the order the VM sees them: disk 1 boots). In an OVF folder each disk is a file; in an
// OVA it is a tar member, read in place at its offset, so nothing is extracted.
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { ExportError, indexOva, openOvaMember, parseOvf } from '@hyperexport/core';
import type { ImageLocation, ParsedOvf, PublishedExport } from '@hyperexport/core';

export interface ExportDisk {
  /** The disk's file name in the export (its ovf:href). */
  readonly name: string;
  readonly location: ImageLocation;
  /** How messages name it. */
  readonly label: string;
}

export interface LocalExport {
  /** The OVF folder or the OVA file. */
  readonly path: string;
  /** The folder the export is in; the converted disks go beside it. */
  readonly directory: string;
  readonly disks: readonly ExportDisk[];
  /** Disks the descriptor declares without a file (blank disks created on import). */
  readonly blankDisks: readonly string[];
}

/** A descriptor is a few KiB; one this large is not an OVF descriptor. */
const MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024;

export const NO_LOCAL_COPY_HINT = 'conversion reads the export from a local folder: give --output DIR (store-local) as well as any upload target';

export async function findLocalExport(published: PublishedExport, signal?: AbortSignal): Promise<LocalExport> {
  return published.format === 'ova' ? findInOva(published, signal) : findInOvfFolder(published);
}

async function findInOvfFolder(published: PublishedExport): Promise<LocalExport> {
  const descriptorName = published.files.find((file) => file.kind === 'descriptor')?.name ?? `${published.baseName}.ovf`;
  const descriptorPath = requireLocal(published, descriptorName);
  if ((await stat(descriptorPath)).size > MAX_DESCRIPTOR_BYTES)
    throw new ExportError(`${descriptorPath} is too large to be an OVF descriptor`, { code: 'CONVERT_SOURCE' });
  const ovf = parseDescriptor(await readFile(descriptorPath, 'utf8'), descriptorPath);
  const folder = dirname(descriptorPath);
  const { disks, blankDisks } = disksOf(ovf, descriptorPath, (href) => {
    const path = requireLocal(published, href);
    return { location: { path }, label: path };
  });
  return { path: folder, directory: dirname(folder), disks, blankDisks };
}

async function findInOva(published: PublishedExport, signal?: AbortSignal): Promise<LocalExport> {
  const packageName = published.files.find((file) => file.kind === 'package')?.name ?? `${published.baseName}.ova`;
  const ovaPath = requireLocal(published, packageName);
  const members = await indexOva(ovaPath);
  const descriptor = members.find((member) => member.name.toLowerCase().endsWith('.ovf'));
  if (!descriptor) throw new ExportError(`${ovaPath} holds no .ovf descriptor`, { code: 'CONVERT_SOURCE' });
  if (descriptor.size > MAX_DESCRIPTOR_BYTES)
    throw new ExportError(`${descriptor.name} in ${ovaPath} is too large to be an OVF descriptor`, { code: 'CONVERT_SOURCE' });
  const text = (await buffer(openOvaMember(ovaPath, descriptor, signal ? { signal } : {}))).toString('utf8');
  const ovf = parseDescriptor(text, `${descriptor.name} in ${ovaPath}`);
  const { disks, blankDisks } = disksOf(ovf, ovaPath, (href) => {
    const member = members.find((candidate) => candidate.name === href);
    if (!member) throw new ExportError(`the descriptor in ${ovaPath} references ${href}, which the OVA does not contain`, { code: 'CONVERT_SOURCE' });
    return { location: { path: ovaPath, offset: member.offset, size: member.size }, label: `${href} in ${ovaPath}` };
  });
  return { path: ovaPath, directory: dirname(ovaPath), disks, blankDisks };
}

function requireLocal(published: PublishedExport, name: string): string {
  const path = published.localPaths.get(name);
  if (path === undefined) {
    throw new ExportError(
      `there is no local copy of ${name} to convert (the export was only written to ${published.locations.join(', ') || 'non-local targets'})`,
      { code: 'CONVERT_NO_LOCAL_COPY', hint: NO_LOCAL_COPY_HINT },
    );
  }
  // Absolute, so the converted disks' paths are too: qemu-img reads `a:b/x` as protocol `a`.
  return resolve(path);
}

function parseDescriptor(text: string, where: string): ParsedOvf {
  try {
    return parseOvf(text);
  } catch (error) {
    throw new ExportError(`${where}: ${(error as Error).message}`, { code: 'CONVERT_SOURCE', cause: error });
  }
}

function disksOf(
  ovf: ParsedOvf,
  where: string,
  locate: (href: string) => { location: ImageLocation; label: string },
): { disks: ExportDisk[]; blankDisks: string[] } {
  const disks: ExportDisk[] = [];
  const blankDisks: string[] = [];
  const seen = new Set<string>();
  for (const disk of ovf.disks) {
    if (disk.fileRef === undefined) {
      blankDisks.push(disk.diskId);
      continue;
    }
    const file = ovf.files.find((candidate) => candidate.id === disk.fileRef)!;
    if (seen.has(file.href)) continue;
    seen.add(file.href);
    if (file.compression !== undefined && file.compression !== 'identity') {
      throw new ExportError(`${file.href} in ${where} is stored ${file.compression}-compressed; qemu-img needs the plain disk`, {
        code: 'CONVERT_NEEDS_PLAIN_DISKS',
        hint: 'export without --compress to convert the disks',
      });
    }
    disks.push({ name: file.href, ...locate(file.href) });
  }
  return { disks, blankDisks };
}
