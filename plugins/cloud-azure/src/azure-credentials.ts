// Which credential reaches the storage account. Secrets come from environment variables or files,
// never from the URL or the config itself. Order:
// 1. sources the options name (connectionString*, accountKey*, sasToken* — Env or File), first of
//    those in this order; a named source that is missing is an error, never skipped;
// 2. otherwise the standard variables, first one set: AZURE_STORAGE_CONNECTION_STRING,
//    AZURE_STORAGE_KEY (with the account from the URL), AZURE_STORAGE_SAS_TOKEN;
// 3. otherwise Microsoft Entra ID through @azure/identity's DefaultAzureCredential (environment,
//    workload identity, managed identity, Azure CLI, ...).
import { ConfigError, readSecretFile } from '@hyperexport/core';
import type { ResolvedAzureOptions } from './azure-options.ts';

export const CONNECTION_STRING_ENV = 'AZURE_STORAGE_CONNECTION_STRING';
export const ACCOUNT_KEY_ENV = 'AZURE_STORAGE_KEY';
export const SAS_TOKEN_ENV = 'AZURE_STORAGE_SAS_TOKEN';

export type CredentialKind = 'connection-string' | 'account-key' | 'sas-token' | 'identity';

export interface CredentialSource {
  readonly kind: CredentialKind;
  /** The secret (absent for identity). Never printed. */
  readonly secret?: string;
  /** Where it came from, for messages: "the account key in AZURE_STORAGE_KEY". */
  readonly description: string;
}

interface Candidate {
  readonly kind: Exclude<CredentialKind, 'identity'>;
  readonly what: string;
  readonly file: string | undefined;
  readonly env: string | undefined;
  readonly defaultEnv: string;
}

export async function resolveCredentialSource(options: ResolvedAzureOptions, env: NodeJS.ProcessEnv): Promise<CredentialSource> {
  const candidates: Candidate[] = [
    {
      kind: 'connection-string',
      what: 'connection string',
      file: options.connectionStringFile,
      env: options.connectionStringEnv,
      defaultEnv: CONNECTION_STRING_ENV,
    },
    { kind: 'account-key', what: 'account key', file: options.accountKeyFile, env: options.accountKeyEnv, defaultEnv: ACCOUNT_KEY_ENV },
    { kind: 'sas-token', what: 'SAS token', file: options.sasTokenFile, env: options.sasTokenEnv, defaultEnv: SAS_TOKEN_ENV },
  ];
  const named = candidates.find((candidate) => candidate.file !== undefined || candidate.env !== undefined);
  if (named) {
    if (named.file !== undefined) {
      return {
        kind: named.kind,
        secret: (await readSecretFile(named.file, `Azure ${named.what} file`)).trim(),
        description: `the ${named.what} in the file ${named.file}`,
      };
    }
    const value = env[named.env!]?.trim();
    if (!value) {
      throw new ConfigError(`the environment variable ${named.env} (named by the ${optionName(named.kind)}Env option) is not set`, {
        hint: `export ${named.env}=… before running, or remove the option`,
      });
    }
    return { kind: named.kind, secret: value, description: `the ${named.what} in ${named.env}` };
  }
  for (const candidate of candidates) {
    const value = env[candidate.defaultEnv]?.trim();
    if (value) return { kind: candidate.kind, secret: value, description: `the ${candidate.what} in ${candidate.defaultEnv}` };
  }
  return { kind: 'identity', description: 'Microsoft Entra ID (DefaultAzureCredential)' };
}

/** What to check when the service refuses a credential of this kind. */
export function credentialHint(source: CredentialSource, account: string, container: string): string {
  switch (source.kind) {
    case 'connection-string':
      return `check ${source.description}: it must be for the account ${account} and its AccountKey or SharedAccessSignature must still be valid (copy a fresh one from the portal, Access keys)`;
    case 'account-key':
      return `check ${source.description}: it must be key1 or key2 of the account ${account} (az storage account keys list --account-name ${account})`;
    case 'sas-token':
      return `check ${source.description}: it must not be expired (se=), must be for the container ${container} or the account ${account}, and allow read, add, create, write, delete and list (sp=racwdl)`;
    case 'identity':
      return `no connection string, account key or SAS token was given, so Microsoft Entra ID was used: sign in (az login) or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, and give that identity the role "Storage Blob Data Contributor" on ${account}/${container}; or set ${CONNECTION_STRING_ENV}, ${ACCOUNT_KEY_ENV} or ${SAS_TOKEN_ENV}`;
  }
}

/** `AccountName=` of a connection string (`UseDevelopmentStorage=true` means Azurite's account). */
export function connectionStringAccount(connectionString: string): string | undefined {
  const fields = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim());
  }
  if (fields.get('usedevelopmentstorage')?.toLowerCase() === 'true') return 'devstoreaccount1';
  return fields.get('accountname');
}

function optionName(kind: Exclude<CredentialKind, 'identity'>): string {
  return kind === 'connection-string' ? 'connectionString' : kind === 'account-key' ? 'accountKey' : 'sasToken';
}
