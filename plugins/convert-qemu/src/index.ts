// convert-qemu: converts the disks of an export with qemu-img into a disk set for another
// hypervisor (qcow2, VHD, VHDX, VDI or raw). qemu-img needs seekable input, so this is not a
// stream stage: it runs in the `published` hook on the committed local copy, and checks early
// (validate, transform, store) that the job can be converted, so a job that cannot fails before
// any data moves.
import { ConfigError, definePlugin, ExportError, exportBaseName, stageSees, t, updatePublishedRecord } from '@hyperexport/core';
import type { Job, PublishedExport, StageArtifactKind, TransformStage } from '@hyperexport/core';
import { rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { convertedFolderName, convertExport, PLUGIN_NAME } from './convert-export.ts';
import type { ConversionResult } from './convert-export.ts';
import { NO_LOCAL_COPY_HINT } from './export-disks.ts';
import { QEMU_IMG_INSTALL_HINT, qemuImgVersion } from './qemu-img.ts';
import { checkOptions, plainDiskConflict, resolveConversion } from './settings.ts';
import type { ConversionSettings, ConvertQemuOptions } from './settings.ts';
import { TARGET_FORMATS } from './target-formats.ts';
import { CONVERT_QEMU_SETTINGS } from './convert-qemu-settings.ts';

export { convertExport, convertedDiskName, convertedFolderName, partialFolderName } from './convert-export.ts';
export type { ConversionResult } from './convert-export.ts';
export { findLocalExport } from './export-disks.ts';
export type { ExportDisk, LocalExport } from './export-disks.ts';
export { QemuProgressParser } from './progress-parser.ts';
export { compareImages, convertImage, imageInfo, imageOptions, qemuImgVersion, runQemuImg } from './qemu-img.ts';
export type { Comparison, ImageInfo, ImageRef, QemuImgRun } from './qemu-img.ts';
// Now in core (validate uses it too); still exported here.
export type { ImageLocation } from '@hyperexport/core';
export { plainDiskConflict, resolveConversion } from './settings.ts';
export type { ConversionSettings, ConvertQemuOptions } from './settings.ts';
export { detectSourceDriver } from './source-driver.ts';
export { DEFAULT_FORMAT_SETTINGS, outputArguments, TARGET_FORMAT_INFO, TARGET_FORMATS } from './target-formats.ts';
export type { FormatSettings, Subformat, TargetFormat } from './target-formats.ts';

const SETTINGS = `${PLUGIN_NAME}:settings`;
const RESULT = `${PLUGIN_NAME}:result`;

const isSubformat = () => t.isOptional(t.isEnum(['dynamic', 'fixed'] as const));

/** The settings validate resolved for this job; undefined when the job converts nothing. */
function settingsOf(job: Job): ConversionSettings | undefined {
  return job.state.get(SETTINGS) as ConversionSettings | undefined;
}

export { CONVERT_QEMU_SETTINGS };

export default definePlugin<ConvertQemuOptions, typeof CONVERT_QEMU_SETTINGS>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'converts the exported disks with qemu-img to qcow2, VHD, VHDX, VDI or raw, verified with qemu-img compare',
  provides: ['convert:qemu'],
  settings: CONVERT_QEMU_SETTINGS,
  options: t.isObject({
    format: t.isOptional(t.isEnum(TARGET_FORMATS)),
    qcow2: t.isOptional(t.isObject({ compress: t.isOptional(t.isBoolean()), clusterSize: t.isOptional(t.isNumber()) })),
    vhd: t.isOptional(t.isObject({ subformat: isSubformat(), forceSize: t.isOptional(t.isBoolean()) })),
    vhdx: t.isOptional(t.isObject({ subformat: isSubformat() })),
    vdi: t.isOptional(t.isObject({ subformat: isSubformat() })),
    keepExport: t.isOptional(t.isBoolean()),
    qemuImg: t.isOptional(t.isString()),
  }),
  setup(exporter, rawOptions, settings) {
    const options: ConvertQemuOptions = rawOptions ?? {};
    const problems = checkOptions(options);
    if (problems.length > 0) throw new ConfigError(problems.join('; '), { problems });

    // Decides whether the job converts, and checks everything that can be checked before data moves.
    exporter.hooks.validate.tapPromise(PLUGIN_NAME, async (job, report) => {
      const conversion = resolveConversion(options, { convert: settings.of(job.spec).convert });
      if (!conversion) return;
      job.state.set(SETTINGS, conversion);
      const conflict = plainDiskConflict(job.spec.extra);
      if (conflict) report.error('plain-disks', conflict, PLUGIN_NAME);
      try {
        await qemuImgVersion(conversion.qemuImg, job.signal);
      } catch (error) {
        if (!(error instanceof ExportError)) throw error;
        report.error('qemu-img', `${error.message}: ${error.hint ?? QEMU_IMG_INSTALL_HINT}`, PLUGIN_NAME);
      }
      const existing = await existingConversion(job, conversion);
      if (existing)
        report.error(
          'existing-conversion',
          `converted disks already exist at ${existing}: give --overwrite to replace them, or --name to write another`,
          PLUGIN_NAME,
        );
    });

    // A stage configured in the config file (not a flag) that rewrites the disks, e.g. compression
    // or encryption, makes them unreadable for qemu-img: refuse before the export is written.
    exporter.hooks.transform.tap({ name: PLUGIN_NAME, stage: 1000 }, (plan, job) => {
      if (!settingsOf(job)) return plan;
      // In an OVF folder the disks are artifacts of their own; in an OVA they are inside the
      // package: a byte-changing stage that sees them there (its declared artifacts) rewrites them.
      const disks: StageArtifactKind = job.spec.format === 'ova' ? 'package' : 'disk';
      const rewriting = plan.stages.filter((stage: TransformStage) => stage.effect === 'changes-bytes' && stageSees(stage, disks));
      if (rewriting.length > 0) {
        throw new ExportError(
          `conversion needs uncompressed, unencrypted disks, but the export runs them through ${rewriting.map((stage) => stage.name).join(', ')}`,
          {
            code: 'CONVERT_NEEDS_PLAIN_DISKS',
            hint: 'export once without compression and encryption to convert, and separately with them for an archive copy',
          },
        );
      }
      return plan;
    });

    // The conversion reads the committed local copy: without a local destination there is none.
    exporter.hooks.store.tap({ name: PLUGIN_NAME, stage: 1000 }, (targets, job) => {
      if (!settingsOf(job) || targets.sinks.length === 0) return;
      if (!targets.sinks.some((sink) => typeof sink.committedPath === 'function')) {
        throw new ExportError(`conversion needs a local copy of the export, but it only goes to ${targets.sinks.map((sink) => sink.description).join(', ')}`, {
          code: 'CONVERT_NO_LOCAL_COPY',
          hint: NO_LOCAL_COPY_HINT,
        });
      }
    });

    exporter.hooks.published.tapPromise(PLUGIN_NAME, async (published, job) => {
      const settings = settingsOf(job);
      if (!settings) return published;
      if (published.localPaths.size === 0) {
        throw new ExportError(`there is no local copy of the export to convert (it went to ${published.locations.join(', ') || 'no local folder'})`, {
          code: 'CONVERT_NO_LOCAL_COPY',
          hint: NO_LOCAL_COPY_HINT,
        });
      }
      const result = await convertExport(job, published, settings);
      if (!result) return published;
      job.state.set(RESULT, result);
      // The record lists the converted disks too, so retention rotates them with the export.
      const recorded = await updatePublishedRecord(published, [
        ...published.record.files,
        ...result.files.map(({ name, kind, size, sha256 }) => ({ path: name, kind, size, sha256 })),
      ]);
      return { ...recorded, derivedFiles: [...recorded.derivedFiles, ...result.files], locations: [...recorded.locations, result.folder] };
    });

    // Last of the published taps (store-remote uploads at stage 100), so an upload still finds the export.
    exporter.hooks.published.tapPromise({ name: PLUGIN_NAME, stage: 1000 }, async (published, job) => {
      const settings = settingsOf(job);
      const result = job.state.get(RESULT) as ConversionResult | undefined;
      if (!settings || settings.keepExport || !result) return published;
      return removeExport(job, result, published);
    });
  },
});

/** Where an earlier conversion of this export already is, when the job does not overwrite. */
async function existingConversion(job: Job, settings: ConversionSettings): Promise<string | undefined> {
  const { spec, source } = job;
  const name = spec.name ?? source?.name;
  if (spec.output === undefined || spec.overwrite || name === undefined) return undefined;
  let baseName: string;
  try {
    baseName = exportBaseName(name);
  } catch {
    return undefined; // the run reports an unusable name itself
  }
  const target = join(resolve(spec.output), convertedFolderName(baseName, settings.format));
  try {
    await stat(target);
    return target;
  } catch {
    return undefined;
  }
}

/**
 * keepExport: false. Every disk was converted and verified, so the OVF folder or OVA goes; the
 * record stays and lists only the converted disks, which are now the export.
 */
async function removeExport(job: Job, result: ConversionResult, published: PublishedExport): Promise<PublishedExport> {
  const { path } = result.source;
  await rm(path, { recursive: true, force: true });
  const converted = new Set(result.files.map((file) => file.name));
  const recorded = await updatePublishedRecord(
    published,
    published.record.files.filter((file) => converted.has(file.path)),
  );
  job.info(`removed the export ${path} after converting it (keepExport: false)`, PLUGIN_NAME);
  return { ...recorded, files: [], locations: recorded.locations.filter((location) => location !== path) };
}
