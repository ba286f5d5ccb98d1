// Changing an export's record after it was published: a plugin of the published hook that adds
// files (converted disks) or removes them (the OVF once converted) keeps the record true, both in
// memory (for the plugins after it) and in the local copy (for retention and later runs).
import type { PublishedExport } from './exporter.ts';
import { writeFileAtomic } from './fs/atomic-write.ts';
import type { ExportRecord } from './model.ts';
import { exportRecordName } from './model.ts';

export async function updatePublishedRecord(published: PublishedExport, files: ExportRecord['files']): Promise<void> {
  published.record = { ...published.record, files };
  const path = published.localPaths.get(exportRecordName(published));
  if (path !== undefined) await writeFileAtomic(path, `${JSON.stringify(published.record, null, 2)}\n`);
}
