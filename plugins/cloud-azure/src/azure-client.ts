// Builds the SDK client for a target from its credential source and options: the account URL
// (Azure's public cloud, or the endpoint option for Azurite and other clouds) and the retry policy
// (exponential backoff on throttling, 500/503 and network errors).
import type { BlobServiceClient, StoragePipelineOptions } from '@azure/storage-blob';
import { ConfigError, lazyPackage } from '@hyperexport/core';
import { connectionStringAccount } from './azure-credentials.ts';
import type { CredentialSource } from './azure-credentials.ts';
import type { ResolvedAzureOptions } from './azure-options.ts';
import type { AzureTarget } from './azure-target-url.ts';

/** Environment variable with the account URL, for when the endpoint option is not given. */
export const ENDPOINT_ENV = 'HYPEREXPORT_AZURE_ENDPOINT';

export interface AzureClient {
  readonly service: BlobServiceClient;
  /** The account URL, without any query string: safe to print. */
  readonly endpoint: string;
}

// Loaded on first use: the SDK costs about 100 ms, and every CLI run loads this plugin.
const loadBlobSdk = lazyPackage({
  name: '@azure/storage-blob',
  plugin: '@hyperexport/cloud-azure',
  neededFor: 'to talk to Azure Blob Storage',
  load: () => import('@azure/storage-blob'),
});
// Loaded only when used: @azure/identity is large and most runs use a key or a SAS.
const loadIdentity = lazyPackage({
  name: '@azure/identity',
  plugin: '@hyperexport/cloud-azure',
  neededFor: 'to sign in with Entra ID',
  load: () => import('@azure/identity'),
});

export async function createAzureClient(
  target: AzureTarget,
  source: CredentialSource,
  options: ResolvedAzureOptions,
  env: NodeJS.ProcessEnv,
): Promise<AzureClient> {
  const { BlobServiceClient, StorageRetryPolicyType, StorageSharedKeyCredential } = await loadBlobSdk();
  const pipeline: StoragePipelineOptions = {
    retryOptions: {
      retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
      maxTries: options.maxTries,
      // Waits 0, 1, 3, 7, 15 … × retryDelayMs between tries (the SDK's exponential policy).
      retryDelayInMs: options.retryDelayMs,
      maxRetryDelayInMs: 60_000,
    },
    userAgentOptions: { userAgentPrefix: 'hyperexport' },
  };
  const configuredEndpoint = options.endpoint ?? env[ENDPOINT_ENV];

  if (source.kind === 'connection-string') {
    const named = connectionStringAccount(source.secret!);
    if (named !== undefined && named !== target.account) {
      throw new ConfigError(`${source.description} is for the storage account "${named}", but the target names "${target.account}"`, {
        hint: `use azure://${named}/… or give the credentials of ${target.account}`,
      });
    }
    if (configuredEndpoint !== undefined) {
      throw new ConfigError(
        `both ${source.description} and an endpoint (${options.endpoint === undefined ? ENDPOINT_ENV : 'the endpoint option'}) say where the account is`,
        {
          hint: 'give the endpoint in one place: BlobEndpoint= in the connection string, or the endpoint option with an account key or SAS token',
        },
      );
    }
    let service: BlobServiceClient;
    try {
      service = BlobServiceClient.fromConnectionString(source.secret!, pipeline);
    } catch {
      // The SDK's message may quote the string; say only where it came from.
      throw new ConfigError(`${source.description} is not a valid Azure Storage connection string`, {
        hint: 'copy it from the portal (storage account, Access keys), e.g. DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net',
      });
    }
    return { service, endpoint: withoutQuery(service.url) };
  }

  const endpoint = checkEndpoint(
    configuredEndpoint ?? `https://${target.account}.blob.core.windows.net`,
    options.endpoint === undefined && configuredEndpoint !== undefined ? ENDPOINT_ENV : 'the endpoint option',
  );
  switch (source.kind) {
    case 'account-key':
      return { service: new BlobServiceClient(endpoint, new StorageSharedKeyCredential(target.account, source.secret!), pipeline), endpoint };
    case 'sas-token': {
      const token = source.secret!.replace(/^\?/, '');
      if (!/(^|&)sig=/.test(token)) {
        throw new ConfigError(`${source.description} does not look like a SAS token (it has no sig= field)`, {
          hint: 'give the query part of a SAS URL, e.g. sv=…&sp=racwdl&se=…&sig=…',
        });
      }
      if (endpoint.startsWith('http:') && !isLoopback(new URL(endpoint).hostname)) {
        throw new ConfigError(`a SAS token would be sent in clear text to ${endpoint}`, {
          hint: 'use an https:// endpoint (plain http only for a local emulator on 127.0.0.1)',
        });
      }
      return { service: new BlobServiceClient(`${endpoint}?${token}`, undefined, pipeline), endpoint };
    }
    case 'identity': {
      const { DefaultAzureCredential } = await loadIdentity();
      return { service: new BlobServiceClient(endpoint, new DefaultAzureCredential(), pipeline), endpoint };
    }
  }
}

function checkEndpoint(text: string, where: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${where} "${withoutQuery(text)}" is not a URL`, {
      hint: 'e.g. https://ACCOUNT.blob.core.windows.net, or http://127.0.0.1:10000/devstoreaccount1 for Azurite',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${where} must be an http(s) URL (got ${url.protocol}//…)`);
  if (url.search !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(`${where} must not carry credentials or a query string`, {
      hint: 'put a SAS token in AZURE_STORAGE_SAS_TOKEN or a file named by sasTokenFile',
    });
  }
  return url.href.replace(/\/+$/, '');
}

function withoutQuery(url: string): string {
  return url.replace(/[?#].*$/, '').replace(/\/+$/, '');
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}
