// The post-export checks of the core's postValidate hook: the staged copy of an export at each
// local sink, before it is published. Files reach here under their stored names. A package or
// descriptor that a transform changed (`NAME.ova.zst.hxe`) cannot be opened here; every file a
// transform changed is read back through its stages' way back instead (read-back.ts).
import { dirname } from 'node:path';
import type { ValidationIssue, WrittenExport } from '@hyperexport/core';
import { checkOva } from './ova.ts';
import { checkOvfFiles } from './ovf-folder.ts';
import type { PackageCheckOptions } from './package-contents.ts';
import { readBackWrittenExport } from './read-back.ts';

export interface WrittenExportCheck {
  readonly issues: ValidationIssue[];
  /** What was read back, and why something was not checked (no local copy, readBack off); for job.info. */
  readonly notes: string[];
}

export interface WrittenExportCheckOptions extends PackageCheckOptions {
  /** Read every transformed file back through its stages' reverse (default true). */
  readonly readBack?: boolean | undefined;
}

export async function checkWrittenExport(written: WrittenExport, options: WrittenExportCheckOptions = {}): Promise<WrittenExportCheck> {
  const structure = await checkStructure(written, options);
  if (options.readBack === false) {
    const skipped = [...written.transformed.keys()].filter((name) => (written.stagedPaths.get(name) ?? []).length > 0);
    return { issues: structure.issues, notes: [...structure.notes, ...skipped.map((name) => `${name} was not read back (readBack: false)`)] };
  }
  const readBack = await readBackWrittenExport(written, { signal: options.signal, unchecked: structure.unchecked });
  return { issues: [...structure.issues, ...readBack.issues], notes: [...structure.notes, ...readBack.notes] };
}

interface StructureCheck extends WrittenExportCheck {
  /** Files no check read because their package could not be opened: compared with their written digests instead. */
  readonly unchecked: string[];
}

/** The OVA's or OVF folder's own checks (checkOva, checkOvfFiles), when its package is plain. */
async function checkStructure(written: WrittenExport, options: PackageCheckOptions): Promise<StructureCheck> {
  const issues: ValidationIssue[] = [];
  const notes: string[] = [];
  const names = new Set(written.files.map((file) => file.name));
  const unopened = (what: string) => {
    notes.push(what);
    return { issues, notes, unchecked: [...names] };
  };

  if (written.format === 'ova') {
    const packageName = `${written.baseName}.ova`;
    if (!names.has(packageName)) {
      return unopened(
        `${packageName} was stored transformed (${[...names].join(', ')}): the OVA inside was not opened, so its member order, manifest and disk images were not checked`,
      );
    }
    const copies = written.stagedPaths.get(packageName) ?? [];
    if (copies.length === 0) notes.push(`no destination keeps ${packageName} on a local file system; it was not checked`);
    for (const path of copies) issues.push(...label(await checkOva(path, options), path, copies.length));
    return { issues, notes, unchecked: [] };
  }

  const descriptorName = `${written.baseName}.ovf`;
  if (!names.has(descriptorName)) {
    return unopened(
      `${descriptorName} was stored transformed (${[...names].join(', ')}): the descriptor was not opened, so its references, the manifest and the disk images were not checked`,
    );
  }
  // One staged copy per local sink: group each file's paths by the folder they are in.
  const copies = new Map<string, Map<string, string>>();
  for (const file of written.files) {
    for (const path of written.stagedPaths.get(file.name) ?? []) {
      const folder = dirname(path);
      let copy = copies.get(folder);
      if (!copy) copies.set(folder, (copy = new Map()));
      copy.set(file.name, path);
    }
  }
  if (copies.size === 0) notes.push(`no destination keeps ${written.baseName}/ on a local file system; it was not checked`);
  for (const [folder, paths] of copies) issues.push(...label(await checkOvfFiles(descriptorName, paths, options), folder, copies.size));
  return { issues, notes, unchecked: [] };
}

/** With several local destinations, say which copy an issue is about. */
function label(issues: ValidationIssue[], where: string, copies: number): ValidationIssue[] {
  if (copies <= 1) return issues;
  return issues.map((issue) => ({ ...issue, message: `(copy in ${where}) ${issue.message}` }));
}
