// @hyperexport/cloud-s3: stores exports in Amazon S3 or an S3-compatible server
// (s3://bucket/prefix): streamed multipart uploads whose parts grow with the stream, aborted when
// they fail, checked on arrival. It registers a storage backend; the store stage, retention and
// `hyperexport remote` open s3:// targets through the registry, so the plugin taps no hook.
import { definePlugin } from '@hyperexport/core';
import { S3Backend } from './s3-backend.ts';
import { s3OptionsSchema } from './s3-options.ts';

const PLUGIN_NAME = 'cloud-s3';

export { S3Backend } from './s3-backend.ts';
export { S3StorageService, SHA256_METADATA } from './s3-storage-service.ts';
export { s3OptionsSchema, SSE_MODES } from './s3-options.ts';
export type { S3Options, S3Settings, SseMode } from './s3-options.ts';
export { parseS3Url, formatS3Url } from './s3-target-url.ts';
export type { S3Target } from './s3-target-url.ts';
export { partSizeFor, largestStream, MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE } from './part-size.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'stores exports in Amazon S3 or S3-compatible storage (s3://bucket/prefix): streamed multipart uploads, verified',
  provides: ['storage:s3'],
  options: s3OptionsSchema,
  setup(exporter, options) {
    exporter.storage.register(new S3Backend(PLUGIN_NAME, options));
  },
});
