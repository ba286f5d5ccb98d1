// Finding the tool's own exports at a storage target: by their records (ExportRecord), never by
// guessing from file names. Retention and `hyperexport remote` both start here.
import { ExportError } from '../errors.ts';
import type { ExportRecord } from '../model.ts';
import { EXPORT_RECORD_SUFFIX } from '../model.ts';
import { unsafeFileNameReason } from '../ovf/safe-name.ts';
import type { StorageService } from './storage-service.ts';

export interface FoundExport {
  /** Key of the record, relative to the service root. */
  readonly recordKey: string;
  readonly record: ExportRecord;
  /** Keys of every file of the export (relative to the service root), the record last. */
  readonly keys: readonly string[];
}

/**
 * Every export whose record is under `prefix`. A record that cannot be read or parsed makes the
 * whole listing fail: a caller that deletes must never act on a partial picture.
 */
export async function listExportRecords(service: StorageService, prefix: string, signal: AbortSignal): Promise<FoundExport[]> {
  const found: FoundExport[] = [];
  for await (const object of service.list(prefix, { signal })) {
    if (!object.key.endsWith(EXPORT_RECORD_SUFFIX)) continue;
    found.push(await readExportRecord(service, object.key, signal));
  }
  return found;
}

export async function readExportRecord(service: StorageService, recordKey: string, signal: AbortSignal): Promise<FoundExport> {
  const parts: Buffer[] = [];
  for await (const part of await service.get(recordKey, { signal })) parts.push(part as Buffer);
  let record: ExportRecord;
  try {
    record = JSON.parse(Buffer.concat(parts).toString('utf8')) as ExportRecord;
  } catch (error) {
    throw new ExportError(`${service.urlOf(recordKey)} is not a readable export record: ${(error as Error).message}`, { code: 'BAD_RECORD', hint: 'remove or repair the file; nothing was changed' });
  }
  if (record.kind !== 'hyperexport-export' || record.version !== 1 || !Array.isArray(record.files) || typeof record.baseName !== 'string' || unsafeFileNameReason(record.baseName) !== undefined) {
    throw new ExportError(`${service.urlOf(recordKey)} is not an export record of a version this tool knows`, { code: 'BAD_RECORD' });
  }
  const folder = recordKey.includes('/') ? recordKey.slice(0, recordKey.lastIndexOf('/') + 1) : '';
  for (const file of record.files) {
    if (file.path.split('/').some((part: string) => part === '..' || part === '' || part === '.')) {
      throw new ExportError(`${service.urlOf(recordKey)} lists a file outside its folder (${file.path})`, { code: 'BAD_RECORD' });
    }
  }
  return { recordKey, record, keys: [...record.files.map((file) => `${folder}${file.path}`), recordKey] };
}

/**
 * Deletes a whole export: the record first (so a half-deleted export never looks complete),
 * then its files.
 */
export async function deleteExport(service: StorageService, found: FoundExport, signal: AbortSignal): Promise<void> {
  await service.delete(found.recordKey, { signal });
  for (const key of found.keys) if (key !== found.recordKey) await service.delete(key, { signal });
}
