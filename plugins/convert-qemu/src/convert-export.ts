// Converts the disks of a committed export into a disk set for another hypervisor:
//   DIR/.NAME.FORMAT.partial/   while converting (removed on any failure or cancellation)
//   DIR/NAME.FORMAT/            once every disk is converted, compared and hashed
//     NAME-disk1.FORMAT         disks numbered in the descriptor's order (disk 1 boots)
// Each disk is checked with `qemu-img compare` against the source before the folder is renamed
// into place, so a folder with the final name only ever holds verified disks.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { digestStream, ExportError, formatBytes, formatDuration, runWithConcurrency, syncPath } from '@hyperexport/core';
import type { Job, PublishedExport, StoredFile } from '@hyperexport/core';
import { findLocalExport } from './export-disks.ts';
import type { ExportDisk, LocalExport } from './export-disks.ts';
import { compareImages, convertImage, describeImage, imageInfo } from './qemu-img.ts';
import type { ImageRef } from './qemu-img.ts';
import type { ConversionSettings } from './settings.ts';
import { describeTarget, outputArguments, TARGET_FORMAT_INFO } from './target-formats.ts';
import type { TargetFormat } from './target-formats.ts';
import { detectSourceDriver } from './source-driver.ts';

export const PLUGIN_NAME = 'convert-qemu';

/** What a finished conversion produced. */
export interface ConversionResult {
  /** The export that was converted (OVF folder or OVA). */
  readonly source: LocalExport;
  /** The folder of converted disks. */
  readonly folder: string;
  /** The converted disks, named `FOLDER/FILE` relative to the export's directory. */
  readonly files: readonly StoredFile[];
}

/** The folder of converted disks for an export, relative to the export's directory. */
export function convertedFolderName(baseName: string, format: TargetFormat): string {
  return `${baseName}.${TARGET_FORMAT_INFO[format].extension}`;
}

/** The file name of the disk at `index` (0-based, descriptor order) in the converted set. */
export function convertedDiskName(baseName: string, format: TargetFormat, index: number): string {
  return `${baseName}-disk${index + 1}.${TARGET_FORMAT_INFO[format].extension}`;
}

/** The temporary folder next to the output; its name starts with a dot so listings skip it. */
export function partialFolderName(baseName: string, format: TargetFormat): string {
  return `.${convertedFolderName(baseName, format)}.partial`;
}

const PROGRESS_INTERVAL_MS = 250;

export async function convertExport(job: Job, published: PublishedExport, settings: ConversionSettings): Promise<ConversionResult | undefined> {
  const source = await findLocalExport(published, job.signal);
  for (const diskId of source.blankDisks) job.info(`disk ${diskId} has no file (a blank disk the importer creates); nothing to convert`, PLUGIN_NAME);
  if (source.disks.length === 0) {
    job.warn(`the export at ${source.path} has no disk files; nothing was converted`, PLUGIN_NAME);
    return undefined;
  }
  const { format } = settings;
  const folderName = convertedFolderName(published.baseName, format);
  const target = join(source.directory, folderName);
  const partial = join(source.directory, partialFolderName(published.baseName, format));
  if (!job.spec.overwrite && (await exists(target))) {
    throw new ExportError(`converted disks already exist at ${target}`, {
      code: 'EXPORT_EXISTS',
      hint: 'give --overwrite to replace them, or --name to write another export',
    });
  }
  // A partial folder of this name is a crashed run's: nothing else writes there.
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial);
  job.info(`converting ${source.disks.length} disk(s) of ${source.path} to ${describeTarget(format, settings.formats)} in ${target}`, PLUGIN_NAME);

  // One failed disk stops the others; the job's cancellation stops all.
  const failed = new AbortController();
  const signal = AbortSignal.any([job.signal, failed.signal]);
  const started = performance.now();
  try {
    const converted = await runWithConcurrency(
      source.disks,
      Math.max(1, job.spec.parallel),
      async (disk, index) => {
        const fileName = convertedDiskName(published.baseName, format, index);
        const stored = await convertDisk(job, disk, join(partial, fileName), `${folderName}/${fileName}`, settings, signal);
        return { ...stored, locations: [join(target, fileName)] };
      },
      (error) => failed.abort(error),
      signal,
    );
    await syncPath(partial);
    await moveIntoPlace(partial, target);
    const elapsed = Math.round(performance.now() - started);
    const virtualBytes = converted.reduce((sum, file) => sum + file.virtualSize, 0);
    job.info(`converted and verified ${converted.length} disk(s) (${formatBytes(virtualBytes)} virtual) in ${formatDuration(elapsed)}: ${target}`, PLUGIN_NAME);
    return { source, folder: target, files: converted.map(({ virtualSize: _virtualSize, ...file }) => file) };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

async function convertDisk(
  job: Job,
  disk: ExportDisk,
  output: string,
  name: string,
  settings: ConversionSettings,
  signal: AbortSignal,
): Promise<StoredFile & { virtualSize: number }> {
  const { qemuImg, format } = settings;
  const source: ImageRef = { driver: await detectSourceDriver(disk.location, disk.label), location: disk.location, label: disk.label };
  const { virtualSize } = await imageInfo(qemuImg, source, signal);
  job.bus.emit('file:start', { jobId: job.id, name, kind: 'disk', size: virtualSize });
  const started = performance.now();
  let lastReport = 0;
  const report = (percent: number, force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    const bytes = Math.round((percent / 100) * virtualSize);
    const seconds = (now - started) / 1000;
    job.bus.emit('file:progress', { jobId: job.id, name, bytes, total: virtualSize, bytesPerSecond: seconds > 0 ? Math.round(bytes / seconds) : 0 });
  };
  await convertImage(qemuImg, source, output, outputArguments(format, settings.formats), { signal, onPercent: (percent) => report(percent) });
  report(100, true);
  const convertedMs = performance.now() - started;

  // The comparison (qemu-img, reading both images) and the digest (Node, reading the new one) are
  // independent: run them side by side on the two cores instead of one after the other.
  const converted: ImageRef = { driver: TARGET_FORMAT_INFO[format].driver, location: { path: output }, label: name };
  const [comparison, { size, sha256 }] = await bothOrNeither(signal, [
    (both) => compareImages(qemuImg, source, converted, both),
    (both) => digestStream(createReadStream(output), both),
  ] as const);
  if (!comparison.identical) {
    throw new ExportError(`${name} differs from ${describeImage(source)} after conversion: ${comparison.message}`, {
      code: 'CONVERT_VERIFY',
      hint: 'the converted disk was removed; check the disk space and the source disk (qemu-img check), then run again',
    });
  }
  await syncPath(output);
  job.bus.emit('file:end', { jobId: job.id, name, kind: 'disk', size, sha256 });
  const rate = convertedMs > 0 ? ` at ${formatBytes(Math.round(virtualSize / (convertedMs / 1000)))}/s` : '';
  job.info(`${name}: converted in ${formatDuration(Math.round(convertedMs))}${rate}; identical to ${disk.name} (qemu-img compare)`, PLUGIN_NAME);
  return { name, kind: 'disk', size, sha256, locations: [], virtualSize };
}

/**
 * Runs two tasks at once; when one fails the other is cancelled, and both have settled (a qemu-img
 * has exited) before the first failure is thrown, so the caller can remove their files.
 */
async function bothOrNeither<A, B>(
  signal: AbortSignal,
  tasks: readonly [(signal: AbortSignal) => Promise<A>, (signal: AbortSignal) => Promise<B>],
): Promise<[A, B]> {
  const failed = new AbortController();
  const both = AbortSignal.any([signal, failed.signal]);
  let first: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    tasks.map((task) =>
      task(both).catch((error: unknown) => {
        first ??= { error };
        failed.abort(error);
        throw error;
      }),
    ),
  );
  if (first) throw first.error;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as [A, B];
}

/** Renames the finished folder to its final name; an old one (with --overwrite) goes only after. */
async function moveIntoPlace(partial: string, target: string): Promise<void> {
  const directory = dirname(target);
  let replaced: string | undefined;
  if (await exists(target)) {
    replaced = join(directory, `.${basename(target)}.${randomBytes(4).toString('hex')}.replaced`);
    await rename(target, replaced);
  }
  await rename(partial, target);
  await syncPath(directory);
  if (replaced) await rm(replaced, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
