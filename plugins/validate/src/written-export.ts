// The post-export checks of the core's postValidate hook: the staged copy of an export at each
// local sink, before it is published. Files reach here under their stored names; a transform
// that renamed the package itself (`NAME.ova.zst`) leaves nothing these checks can read.
import { dirname } from 'node:path';
import type { ValidationIssue, WrittenExport } from '@hyperexport/core';
import { checkOva } from './ova.ts';
import { checkOvfFiles } from './ovf-folder.ts';
import type { PackageCheckOptions } from './package-contents.ts';

export interface WrittenExportCheck {
  readonly issues: ValidationIssue[];
  /** Why something was not checked (no local copy, a transformed package); for job.info. */
  readonly notes: string[];
}

export async function checkWrittenExport(written: WrittenExport, options: PackageCheckOptions = {}): Promise<WrittenExportCheck> {
  const issues: ValidationIssue[] = [];
  const notes: string[] = [];
  const names = new Set(written.files.map((file) => file.name));

  if (written.format === 'ova') {
    const packageName = `${written.baseName}.ova`;
    if (!names.has(packageName)) {
      notes.push(`${packageName} was stored transformed (${[...names].join(', ')}); its contents were not checked`);
      return { issues, notes };
    }
    const copies = written.stagedPaths.get(packageName) ?? [];
    if (copies.length === 0) notes.push(`no destination keeps ${packageName} on a local file system; it was not checked`);
    for (const path of copies) issues.push(...label(await checkOva(path, options), path, copies.length));
    return { issues, notes };
  }

  const descriptorName = `${written.baseName}.ovf`;
  if (!names.has(descriptorName)) {
    notes.push(`${descriptorName} was stored transformed (${[...names].join(', ')}); the export was not checked`);
    return { issues, notes };
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
  return { issues, notes };
}

/** With several local destinations, say which copy an issue is about. */
function label(issues: ValidationIssue[], where: string, copies: number): ValidationIssue[] {
  if (copies <= 1) return issues;
  return issues.map((issue) => ({ ...issue, message: `(copy in ${where}) ${issue.message}` }));
}
