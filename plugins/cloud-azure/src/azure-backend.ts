// The StorageBackend registered for azure:// URLs: opens a service for one target, with the
// plugin's options overlaid by the target's, and the credential found for it.
import type { StorageBackend, StorageOpenContext, StorageService } from '@hyperexport/core';
import { AzureBlobService } from './azure-blob-service.ts';
import { createAzureClient } from './azure-client.ts';
import { credentialHint, resolveCredentialSource } from './azure-credentials.ts';
import { mergeOptions } from './azure-options.ts';
import type { AzureOptions } from './azure-options.ts';
import { formatAzureUrl, parseAzureUrl } from './azure-target-url.ts';

export class AzureBlobBackend implements StorageBackend {
  readonly name: string;
  readonly schemes = ['azure'] as const;
  readonly #options: AzureOptions;

  constructor(name: string, options: AzureOptions = {}) {
    this.name = name;
    this.#options = options;
  }

  /** The URL and options of a target, checked without connecting (the usage check). */
  check(url: URL, options: Readonly<Record<string, unknown>>): void {
    const target = parseAzureUrl(url);
    mergeOptions(this.#options, options, formatAzureUrl(target, target.prefix));
  }

  async open(url: URL, context: StorageOpenContext): Promise<StorageService> {
    const target = parseAzureUrl(url);
    const options = mergeOptions(this.#options, context.options, formatAzureUrl(target, target.prefix));
    const source = await resolveCredentialSource(options, context.env);
    const client = await createAzureClient(target, source, options, context.env);
    return new AzureBlobService(client.service, target, options, {
      target,
      endpoint: client.endpoint,
      credential: source.description,
      credentialHint: credentialHint(source, target.account, target.container),
      maxTries: options.maxTries,
    });
  }
}
