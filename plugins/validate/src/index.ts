// validate: checks before an export starts (output, free space, power state, existing export)
// and checks of the written files before they are published (descriptor references and sizes,
// manifest digests, OVA member order, qemu-img check). Any error fails the export; the core then
// publishes nothing. The package checks are plain functions, usable without an Exporter.
import { definePlugin, t } from '@hyperexport/core';
import type { ValidationIssue, ValidationReport } from '@hyperexport/core';
import { PLUGIN_NAME } from './issues.ts';
import { boundedCheck, checkExistingExport, checkFreeSpace, checkOutput, checkPowerState, DEFAULT_FREE_SPACE_MARGIN } from './pre-checks.ts';
import { resolveQemuImg } from './qemu-img.ts';
import { checkWrittenExport } from './written-export.ts';

export { checkOva } from './ova.ts';
export { checkOvfFiles, checkOvfFolder } from './ovf-folder.ts';
export { checkPackageContents, hashFile } from './package-contents.ts';
export type { PackageCheckOptions, PackageContentsResult, PackageFile } from './package-contents.ts';
export {
  boundedCheck,
  checkExistingExport,
  checkFreeSpace,
  checkOutput,
  checkPowerState,
  DEFAULT_FREE_SPACE_MARGIN,
  nearestExisting,
  nodeFileSystem,
  PRE_CHECK_LIMIT_MS,
} from './pre-checks.ts';
export type { ExistingPath, FileSystemProbe } from './pre-checks.ts';
export { imageDriverFor, qemuImgCheck, resolveQemuImg } from './qemu-img.ts';
export type { QemuImgResult, QemuImgStatus } from './qemu-img.ts';
// Now in core (convert-qemu uses them too); still exported here under the names they had.
export { findOnPath, qemuImageOptions as imageOptions } from '@hyperexport/core';
export type { ImageLocation } from '@hyperexport/core';
export { checkWrittenExport } from './written-export.ts';
export type { WrittenExportCheck, WrittenExportCheckOptions } from './written-export.ts';
export { readBackWrittenExport } from './read-back.ts';
export type { ReadBackResult } from './read-back.ts';

function addAll(report: ValidationReport, issues: readonly ValidationIssue[]): void {
  for (const issue of issues) {
    if (issue.level === 'error') report.error(issue.check, issue.message, issue.plugin ?? PLUGIN_NAME);
    else report.warning(issue.check, issue.message, issue.plugin ?? PLUGIN_NAME);
  }
}

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'checks before an export (output, free space, power state, existing export) and of the written OVF/OVA before it is published',
  options: t.isObject({
    /** Share of the VM's committed storage that must be free on top of it (default 0.10). */
    freeSpaceMargin: t.isOptional(t.cascade(t.isNumber(), [t.isAtLeast(0)])),
    /** `qemu-img check` the disks: true (default) when qemu-img is on PATH, a program path, or false. */
    qemuImg: t.isOptional(t.isOneOf([t.isBoolean(), t.isString()])),
    /** Run the checks before the export (default true). */
    pre: t.isOptional(t.isBoolean()),
    /** Check the written files before they are published (default true). */
    post: t.isOptional(t.isBoolean()),
    /** With `post`: read every compressed or encrypted file back through its stages' reverse (default true). */
    readBack: t.isOptional(t.isBoolean()),
  }),
  setup(exporter, options) {
    const margin = options.freeSpaceMargin ?? DEFAULT_FREE_SPACE_MARGIN;

    if (options.pre ?? true) {
      exporter.hooks.validate.tapPromise(PLUGIN_NAME, async (job, report) => {
        const { spec, source } = job;
        // Each check is bounded in time: one stuck on a hung mount fails, naming itself.
        const checks: Promise<ValidationIssue[]>[] = [
          Promise.resolve(checkPowerState(spec, source, job.exportsFromSnapshot)),
          boundedCheck('existing-export', () => checkExistingExport(spec, source)),
        ];
        // Without --output another storage plugin decides where the export goes.
        if (spec.output !== undefined) {
          const output = spec.output;
          checks.push(
            boundedCheck('output', () => checkOutput(output)),
            boundedCheck('free-space', () => checkFreeSpace(output, source, margin)),
          );
        }
        for (const issues of await Promise.all(checks)) addAll(report, issues);
      });
    }

    if (options.post ?? true) {
      const readBack = options.readBack ?? true;
      // The read-back compares with the bytes before the transforms: the core hashes them for it.
      if (readBack) {
        exporter.hooks.transform.tap(PLUGIN_NAME, (plan, job) => {
          job.checksPlainContent = true;
          return plan;
        });
      }
      exporter.hooks.postValidate.tapPromise(PLUGIN_NAME, async (job, report, written) => {
        const qemuImg = await resolveQemuImg(options.qemuImg);
        if (qemuImg === undefined && options.qemuImg !== false) {
          job.info('qemu-img is not on PATH, so the disk images were not checked with it; install qemu-utils to add that check', PLUGIN_NAME);
        }
        const { issues, notes } = await checkWrittenExport(written, { qemuImg: qemuImg ?? false, signal: job.signal, readBack });
        for (const note of notes) job.info(note, PLUGIN_NAME);
        addAll(report, issues);
      });
    }
  },
});
