// Checks an OVA in place: its tar structure, the member order the OVF specification requires
// (the descriptor first, then the manifest and certificate, then the files in References order,
// so that an importer can stream it), and the package contents, each member read as a byte range.
import { basename } from 'node:path';
import { indexOva, openOvaMember } from '@hyperexport/core';
import type { OvaMember, ValidationIssue } from '@hyperexport/core';
import { errorIssue, errorMessage } from './issues.ts';
import { checkPackageContents } from './package-contents.ts';
import type { PackageCheckOptions, PackageFile } from './package-contents.ts';

const EXPORT_AGAIN = 'export the VM again';

export async function checkOva(path: string, options: PackageCheckOptions = {}): Promise<ValidationIssue[]> {
  const label = basename(path);
  let members: OvaMember[];
  try {
    members = await indexOva(path);
  } catch (error) {
    options.signal?.throwIfAborted();
    return [errorIssue('ova-structure', `${errorMessage(error)}: the OVA is damaged; ${EXPORT_AGAIN}`)];
  }
  const issues: ValidationIssue[] = [];
  const descriptor = members.find((member) => isDescriptor(member.name));
  if (!descriptor) {
    return [
      errorIssue(
        'ova-structure',
        `${label} has no .ovf descriptor (members: ${members.map((member) => member.name).join(', ')}): it is not an OVA; ${EXPORT_AGAIN}`,
      ),
    ];
  }
  const files = new Map<string, PackageFile>(
    members.map((member) => [
      member.name,
      {
        name: member.name,
        size: member.size,
        open: (signal?: AbortSignal) => openOvaMember(path, member, signal ? { signal } : {}),
        location: { path, offset: member.offset, size: member.size },
      },
    ]),
  );
  const contents = await checkPackageContents(descriptor.name, files, options);
  issues.push(...contents.issues.map((issue) => ({ ...issue, message: `${label}: ${issue.message}` })));

  // The order: .ovf, then .mf and .cert, then the referenced files as References lists them.
  const certificates = members.filter((member) => member.name.toLowerCase().endsWith('.cert')).map((member) => member.name);
  const referenced = contents.ovf ? contents.ovf.files.map((file) => file.href).filter((href) => files.has(href)) : [];
  const expected = [descriptor.name, ...(contents.manifestName ? [contents.manifestName] : []), ...certificates, ...referenced];
  const expectedSet = new Set(expected);
  const actual = members.map((member) => member.name).filter((name) => expectedSet.has(name));
  if (actual.join('\n') !== expected.join('\n')) {
    const where =
      members[0]!.name === descriptor.name ? 'its members are out of order' : `its first member is ${members[0]!.name}, not the descriptor ${descriptor.name}`;
    issues.push(
      errorIssue(
        'ova-order',
        `${label}: ${where} (${actual.join(', ')}); an OVA must hold ${expected.join(', ')} in this order (the .ovf first, then the .mf, then the files in References order), or importers that stream it fail; ${EXPORT_AGAIN}`,
      ),
    );
  }
  return issues;
}

function isDescriptor(name: string): boolean {
  return name.toLowerCase().endsWith('.ovf');
}
