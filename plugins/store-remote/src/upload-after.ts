// Uploading a committed local export to every target: each file streamed from disk, checked on
// arrival (size, and SHA-256 where the backend reports one), the record last. A target that fails
// gets what it received deleted and fails the export; the local copy stays. Only when every
// target holds a verified copy may the local one go (keepLocal: false).
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream';
import type { Duplex, Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { ExportError, describeError, exportRecordName, readExportRecord } from '@hyperexport/core';
import type { FoundExport, Job, PublishedExport, StorageService } from '@hyperexport/core';
import { targetProgress } from './target-progress.ts';

/** Uploads the committed export to every service; returns where it now is at each (in the services' order). */
export async function uploadExport(job: Job, published: PublishedExport, services: readonly StorageService[]): Promise<string[]> {
  const recordName = exportRecordName(published);
  const recordPath = published.localPaths.get(recordName);
  if (!recordPath) {
    throw new ExportError('nothing to upload: the export has no local copy', {
      code: 'NO_LOCAL_COPY',
      hint: 'give --output DIR, or --stream-upload to send it straight to the targets',
    });
  }
  // What the record lists (the export, and files plugins added such as converted disks), by their
  // paths relative to the record, which are their keys below the target; the record goes last.
  const base = dirname(recordPath);
  const items = [
    ...published.record.files.map((file) => ({
      key: file.path,
      kind: file.kind,
      size: file.size as number | undefined,
      sha256: file.sha256 as string | undefined,
      contentType: 'application/octet-stream',
    })),
    { key: recordName, kind: 'record' as const, size: undefined, sha256: undefined, contentType: 'application/json' },
  ];

  const failures: string[] = [];
  const uploadedTo: (string | undefined)[] = services.map(() => undefined);
  await Promise.all(
    services.map(async (service, index) => {
      const sent: string[] = [];
      let previous: FoundExport | undefined;
      try {
        if (await service.stat(recordName, { signal: job.signal })) {
          if (!job.spec.overwrite) {
            throw new ExportError(`an export already exists at ${service.urlOf(recordName)}`, {
              code: 'EXPORT_EXISTS',
              hint: 'give --overwrite to replace it, or --name to write another',
            });
          }
          // Its files are about to be overwritten: without its record it no longer claims to be complete.
          previous = await readExportRecord(service, recordName, job.signal);
          await service.delete(recordName, { signal: job.signal });
        }
        for (const item of items) {
          sent.push(item.key);
          const progress = targetProgress(job.bus, { jobId: job.id, target: service.url, name: item.key, total: item.size });
          const result = await service.put(
            item.key,
            readPaced(join(base, ...item.key.split('/')), published.pace({ name: item.key, kind: item.kind, sourceSize: item.size })),
            {
              signal: job.signal,
              size: item.size,
              contentType: item.contentType,
              // Announced, a backend can check it before the object becomes visible (S3 multipart).
              metadata: item.sha256 === undefined ? undefined : { sha256: item.sha256 },
              onProgress: progress.report,
            },
          );
          progress.finish();
          if (item.size !== undefined && result.size !== item.size)
            throw new ExportError(`${service.urlOf(item.key)} holds ${result.size} bytes, ${item.size} were sent`, { code: 'VERIFY' });
          if (item.sha256 !== undefined && result.sha256 !== undefined && result.sha256 !== item.sha256)
            throw new ExportError(`${service.urlOf(item.key)}: SHA-256 differs from the local copy`, { code: 'VERIFY' });
        }
        // Files of the replaced export that the new one did not overwrite.
        for (const key of previous?.keys ?? []) if (!sent.includes(key)) await service.delete(key, { signal: job.signal });
        uploadedTo[index] = uploadedLocation(service, published);
        job.info(`uploaded to ${service.url} and verified`);
      } catch (error) {
        failures.push(`${service.url}: ${describeError(error).message}`);
        // Record first, so nothing half-uploaded ever looks like a complete export.
        const cleanup = new AbortController().signal;
        for (const key of sent.reverse()) await service.delete(key, { signal: cleanup }).catch(() => undefined);
      } finally {
        await service.close?.().catch(() => undefined);
      }
    }),
  );
  if (failures.length > 0) {
    throw new ExportError(`upload failed (${failures.join('; ')}); the local export stays at ${base}`, {
      code: 'UPLOAD',
      hint: 'fix the target (credentials, space, network) and export again; the local copy is kept',
    });
  }
  return uploadedTo.filter((location): location is string => location !== undefined);
}

/** Where the export is at a target: its package, its OVF folder, or (nothing else left) its record. */
function uploadedLocation(service: StorageService, published: PublishedExport): string {
  const packageFile = published.record.files.find((file) => file.kind === 'package');
  if (packageFile) return service.urlOf(packageFile.path);
  if (published.record.files.some((file) => file.path.startsWith(`${published.baseName}/`))) return `${service.urlOf(published.baseName)}/`;
  return service.urlOf(exportRecordName(published));
}

/**
 * A local file read through the job's pacing streams (`--bwlimit`), which hold for the upload as
 * they did for the download; errors anywhere reach the reader (pipeline destroys the last stream).
 */
function readPaced(path: string, pacing: readonly Duplex[]): Readable {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (pacing.length === 0) return file;
  return pipeline([file, ...pacing], () => undefined) as unknown as Readable;
}

/**
 * Removes the local copy (every file the record lists, then the record) once every upload is
 * verified; returns `published` without its places: its locations and its local destination.
 */
export async function removeLocalCopy(published: PublishedExport): Promise<PublishedExport> {
  const recordPath = published.localPaths.get(exportRecordName(published))!;
  const base = dirname(recordPath);
  const localFolder = pathToFileURL(base).href;
  await rm(recordPath, { force: true });
  const removed = new Set(published.record.files.map((file) => join(base, file.path.split('/')[0]!)));
  for (const path of removed) await rm(path, { recursive: true, force: true });
  return {
    ...published,
    locations: published.locations.filter((location) => !removed.has(location.replace(/\/+$/, ''))),
    destinations: published.destinations.filter((destination) => destination.url !== localFolder),
  };
}
