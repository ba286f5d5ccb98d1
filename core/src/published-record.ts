// Changing an export's record after it was published: a plugin of the published hook that adds
// files (converted disks) or removes them (the OVF once converted) keeps the record true, both in
// what it returns (for the plugins after it) and in the local copy (for retention and later runs).
import type { PublishedExport } from './exporter.ts';
import { writeFileAtomic } from './fs/atomic-write.ts';
import type { ExportRecord } from './model.ts';
import { exportRecordName } from './model.ts';

/** `published` with its record listing `files`, written to the local copy too: the value for a published tap to return. */
export async function updatePublishedRecord(published: PublishedExport, files: ExportRecord['files']): Promise<PublishedExport> {
  const record: ExportRecord = { ...published.record, files };
  const path = published.localPaths.get(exportRecordName(published));
  if (path !== undefined) await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  return { ...published, record };
}
