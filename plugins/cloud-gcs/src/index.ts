// @hyperexport/cloud-gcs: stores exports in Google Cloud Storage (gs://bucket/prefix) with
// resumable uploads streamed in bounded chunks.
import { definePlugin } from '@hyperexport/core';
import { createGcsBackend } from './gcs-backend.ts';
import { gcsOptionsSchema } from './gcs-options.ts';
import type { GcsOptions } from './gcs-options.ts';

const PLUGIN_NAME = 'cloud-gcs';

export { createGcsBackend } from './gcs-backend.ts';
export { GcsStorageService, SHA256_METADATA_KEY } from './gcs-storage-service.ts';
export { parseGcsUrl } from './gcs-target.ts';
export type { GcsOptions } from './gcs-options.ts';

export default definePlugin<GcsOptions>({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'stores exports in Google Cloud Storage (gs://bucket/prefix) with resumable uploads',
  provides: ['storage:gs'],
  options: gcsOptionsSchema,
  setup(exporter, options) {
    exporter.storage.register(createGcsBackend(PLUGIN_NAME, options ?? {}));
  },
});
