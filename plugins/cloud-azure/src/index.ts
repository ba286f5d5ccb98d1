// @hyperexport/cloud-azure: stores exports in Azure Blob Storage (azure://account/container/prefix)
// as block blobs, streamed with bounded memory, committed only when complete and verified.
// It registers a storage backend; the store stage, retention and `hyperexport remote` open
// azure:// targets through the registry, so the plugin itself taps no hook.
import { definePlugin } from '@hyperexport/core';
import { AzureBlobBackend } from './azure-backend.ts';
import { azureOptionsSchema } from './azure-options.ts';

const PLUGIN_NAME = 'cloud-azure';

export { AzureBlobBackend } from './azure-backend.ts';
export { AzureBlobService } from './azure-blob-service.ts';
export { ACCESS_TIERS, azureOptionsSchema } from './azure-options.ts';
export type { AccessTier, AzureOptions } from './azure-options.ts';
export { parseAzureUrl, formatAzureUrl } from './azure-target-url.ts';
export type { AzureTarget } from './azure-target-url.ts';
export { ACCOUNT_KEY_ENV, CONNECTION_STRING_ENV, SAS_TOKEN_ENV } from './azure-credentials.ts';
export { ENDPOINT_ENV } from './azure-client.ts';

export default definePlugin({
  name: PLUGIN_NAME,
  version: '0.1.0',
  description: 'stores exports in Azure Blob Storage (azure://account/container/prefix): streamed block blobs, verified',
  provides: ['storage:azure'],
  options: azureOptionsSchema,
  setup(exporter, options) {
    exporter.storage.register(new AzureBlobBackend(PLUGIN_NAME, options));
  },
});
