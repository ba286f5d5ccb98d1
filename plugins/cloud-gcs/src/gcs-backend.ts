// Opens gs:// targets: builds a @google-cloud/storage client from the plugin's and the target's
// options and the environment, and checks the bucket before anything is sent.
import type { StorageOptions } from '@google-cloud/storage';
import type { GoogleAuth } from 'google-auth-library';
import type { StorageBackend, StorageOpenContext, StorageService } from '@hyperexport/core';
import { loadCredentialFile } from './gcs-credentials.ts';
import { checkTargetOptions, resolveGcsSettings } from './gcs-options.ts';
import type { GcsOptions, ResolvedGcsSettings } from './gcs-options.ts';
import { loadGcsSdk } from './gcs-sdk.ts';
import type { GcsSdk } from './gcs-sdk.ts';
import { GcsStorageService } from './gcs-storage-service.ts';
import { parseGcsUrl } from './gcs-target.ts';

export function createGcsBackend(name: string, pluginOptions: GcsOptions): StorageBackend {
  return {
    name,
    schemes: ['gs'],
    check(url: URL, options: Readonly<Record<string, unknown>>): void {
      checkTargetOptions(options, parseGcsUrl(url).url);
    },
    async open(url: URL, context: StorageOpenContext): Promise<StorageService> {
      const target = parseGcsUrl(url);
      const settings = resolveGcsSettings(pluginOptions, checkTargetOptions(context.options, target.url), context.env);
      // Without a file, the library finds credentials itself (gcloud's application default
      // credentials, or the metadata server on Google Cloud).
      const auth = settings.keyFile && !settings.anonymous ? await loadCredentialFile(settings.keyFile) : undefined;
      // Loaded here, on the first target opened, not when the plugin is (gcs-sdk.ts).
      const sdk = await loadGcsSdk();
      const service = new GcsStorageService(new sdk.Storage(storageOptions(sdk, settings, auth)), target, settings);
      await service.checkBucket(context.signal);
      return service;
    },
  };
}

export function storageOptions(sdk: Pick<GcsSdk, 'IdempotencyStrategy'>, settings: ResolvedGcsSettings, auth: GoogleAuth | undefined): StorageOptions {
  return {
    ...(settings.apiEndpoint ? { apiEndpoint: settings.apiEndpoint } : {}),
    ...(settings.projectId ? { projectId: settings.projectId } : {}),
    ...(auth ? { authClient: auth } : {}),
    // The library skips credentials for any endpoint that is not Google's unless told otherwise;
    // a private or regional endpoint still needs them. Only emulators go without.
    useAuthWithCustomEndpoint: !settings.anonymous,
    retryOptions: {
      autoRetry: settings.retries > 0,
      ...(settings.retries > 0 ? { maxRetries: settings.retries } : {}),
      // Every call we make is safe to repeat: a resumable session resumes where GCS stopped,
      // a delete ignores a missing object and the metadata patch sets the same value.
      idempotencyStrategy: sdk.IdempotencyStrategy.RetryAlways,
    },
  };
}
