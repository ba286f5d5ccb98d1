// Finding the tool's own exports at a storage target: by their records (ExportRecord), never by
// guessing from file names. Retention and `hyperexport remote` both start here.
import { buffer } from 'node:stream/consumers';
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
  const record = parseExportRecord((await buffer(await service.get(recordKey, { signal }))).toString('utf8'), service.urlOf(recordKey));
  const folder = recordKey.includes('/') ? recordKey.slice(0, recordKey.lastIndexOf('/') + 1) : '';
  return { recordKey, record, keys: [...record.files.map((file) => `${folder}${file.path}`), recordKey] };
}

/**
 * The record in `text`, read from `where` (named in errors): refused unless this tool wrote it
 * in a version it knows, with a safe base name and every file path inside the record's folder.
 */
export function parseExportRecord(text: string, where: string): ExportRecord {
  let record: ExportRecord;
  try {
    record = JSON.parse(text) as ExportRecord;
  } catch (error) {
    throw new ExportError(`${where} is not a readable export record: ${(error as Error).message}`, {
      code: 'BAD_RECORD',
      hint: 'remove or repair the file; nothing was changed',
    });
  }
  if (
    record.kind !== 'hyperexport-export' ||
    record.version !== 1 ||
    !Array.isArray(record.files) ||
    typeof record.baseName !== 'string' ||
    unsafeFileNameReason(record.baseName) !== undefined
  ) {
    throw new ExportError(`${where} is not an export record of a version this tool knows`, { code: 'BAD_RECORD' });
  }
  for (const file of record.files) {
    if (file.path.split('/').some((part: string) => part === '..' || part === '' || part === '.')) {
      throw new ExportError(`${where} lists a file outside its folder (${file.path})`, { code: 'BAD_RECORD' });
    }
  }
  return record;
}

/**
 * Deletes a whole export: the record first (so a half-deleted export never looks complete),
 * then its files.
 */
export async function deleteExport(service: StorageService, found: FoundExport, signal: AbortSignal): Promise<void> {
  await service.delete(found.recordKey, { signal });
  for (const key of found.keys) if (key !== found.recordKey) await service.delete(key, { signal });
}
