// Uploading a committed local export to every target: each file streamed from disk, checked on
// arrival (size, and SHA-256 where the backend reports one), the record last. A target that fails
// gets what it received deleted and fails the export; the local copy stays. Only when every
// target holds a verified copy may the local one go (keepLocal: false).
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExportError, describeError, exportRecordName } from '@hyperexport/core';
import type { Job, PublishedExport, StorageService } from '@hyperexport/core';
import { keyOf } from './targets.ts';


export async function uploadExport(job: Job, published: PublishedExport, services: readonly StorageService[]): Promise<void> {
  const recordName = exportRecordName(published);
  const recordPath = published.localPaths.get(recordName);
  if (!recordPath) {
    throw new ExportError('nothing to upload: the export has no local copy', { code: 'NO_LOCAL_COPY', hint: 'give --output DIR, or --stream-upload to send it straight to the targets' });
  }
  const items = [
    ...published.files.map((file) => ({ name: file.name, kind: file.kind as string, size: file.size, sha256: file.sha256 as string | undefined, path: published.localPaths.get(file.name) })),
    { name: recordName, kind: 'record', size: undefined as number | undefined, sha256: undefined as string | undefined, path: recordPath },
  ];
  const missing = items.find((item) => item.path === undefined);
  if (missing) throw new ExportError(`cannot upload ${missing.name}: it has no local copy`, { code: 'NO_LOCAL_COPY' });

  const failures: string[] = [];
  await Promise.all(services.map(async (service) => {
    const sent: string[] = [];
    try {
      for (const item of items) {
        const key = keyOf(published.baseName, published.format, item.name, item.kind);
        sent.push(key);
        const result = await service.put(key, createReadStream(item.path!, { highWaterMark: 1 << 20 }), {
          signal: job.signal,
          size: item.size,
          contentType: item.kind === 'record' ? 'application/json' : 'application/octet-stream',
          onProgress: (bytes) => job.bus.emit('target:progress', { jobId: job.id, target: service.url, name: item.name, bytes, total: item.size }),
        });
        if (item.size !== undefined && result.size !== item.size) throw new ExportError(`${service.urlOf(key)} holds ${result.size} bytes, ${item.size} were sent`, { code: 'VERIFY' });
        if (item.sha256 !== undefined && result.sha256 !== undefined && result.sha256 !== item.sha256) throw new ExportError(`${service.urlOf(key)}: SHA-256 differs from the local copy`, { code: 'VERIFY' });
      }
      published.locations.push(published.format === 'ovf' ? `${service.urlOf(published.baseName)}/` : service.urlOf(keyOf(published.baseName, published.format, published.files.find((file) => file.kind === 'package')?.name ?? `${published.baseName}.ova`, 'package')));
      job.info(`uploaded to ${service.url} and verified`);
    } catch (error) {
      failures.push(`${service.url}: ${describeError(error).message}`);
      // Record first, so nothing half-uploaded ever looks like a complete export.
      const cleanup = new AbortController().signal;
      for (const key of sent.reverse()) await service.delete(key, { signal: cleanup }).catch(() => undefined);
    } finally {
      await service.close?.().catch(() => undefined);
    }
  }));
  if (failures.length > 0) {
    throw new ExportError(`upload failed (${failures.join('; ')}); the local export stays at ${dirname(recordPath)}`, { code: 'UPLOAD', hint: 'fix the target (credentials, space, network) and export again; the local copy is kept' });
  }
}

/** Removes the local copy (every file the record lists, then the record) once every upload is verified. */
export async function removeLocalCopy(published: PublishedExport): Promise<void> {
  const recordPath = published.localPaths.get(exportRecordName(published))!;
  const base = dirname(recordPath);
  await rm(recordPath, { force: true });
  const top = new Set(published.record.files.map((file) => file.path.split('/')[0]!));
  for (const entry of top) await rm(join(base, entry), { recursive: true, force: true });
}
