// Turns what the Azure SDK throws into errors a user can act on: they name the account, the
// container and the blob, say which credential was used (by where it came from, never its value)
// and what to do. The SDK's RestError is not kept as the cause: it carries the request, whose URL
// may hold a SAS token and whose headers hold a signed Authorization.
import { ExportError, HyperExportError } from '@hyperexport/core';
import type { AzureTarget } from './azure-target-url.ts';

export interface FailureContext {
  readonly target: AzureTarget;
  /** The account URL without query string. */
  readonly endpoint: string;
  /** Where the credential came from, e.g. "the account key in AZURE_STORAGE_KEY". */
  readonly credential: string;
  /** What to check when the service refuses that credential. */
  readonly credentialHint: string;
  readonly maxTries: number;
}

interface RestErrorLike extends Error {
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: { errorCode?: string } | unknown;
  readonly response?: { headers?: { get(name: string): string | undefined } };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'REQUEST_SEND_ERROR',
]);

export function isRestError(error: unknown): error is RestErrorLike {
  return error instanceof Error && error.name === 'RestError';
}

/** @azure/identity could not get a token (no source available, or sign-in refused). */
function isIdentityError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    ['AggregateAuthenticationError', 'CredentialUnavailableError', 'AuthenticationError', 'AuthenticationRequiredError'].includes(error.name)
  );
}

/** The service's error code (`ContainerNotFound`), also for HEAD requests, which have no body. */
export function azureErrorCode(error: unknown): string | undefined {
  if (!isRestError(error)) return undefined;
  const details = error.details as { errorCode?: unknown } | undefined;
  if (typeof details?.errorCode === 'string') return details.errorCode;
  return error.response?.headers?.get('x-ms-error-code') ?? error.code;
}

/**
 * The error to throw for a failed request. Errors that are not the service's (the source stream
 * failed, the job was cancelled, one of ours) pass through unchanged.
 * @param action what was being done, e.g. "uploading to" or "listing"
 * @param url the azure:// URL of the blob or prefix
 */
export function toStorageError(error: unknown, action: string, url: string, context: FailureContext): unknown {
  if (isIdentityError(error)) {
    // DefaultAzureCredential tried every source it knows and lists them all; the first line says it.
    return new ExportError(`no token from ${context.credential} for ${action} ${url}: ${redactSecrets(error.message.split('\n', 1)[0] ?? '')}`, {
      code: 'AUTH',
      hint: context.credentialHint,
    });
  }
  if (error instanceof HyperExportError || !isRestError(error)) return error;
  const { account, container } = context.target;
  const status = error.statusCode;
  const code = azureErrorCode(error) ?? 'unknown error';
  const requestId = error.response?.headers?.get('x-ms-request-id');
  const detail = `${code}${status === undefined ? '' : `, HTTP ${status}`}${requestId ? `, request id ${requestId}` : ''}`;

  if (status === undefined && NETWORK_CODES.has(error.code ?? '')) {
    return new ExportError(
      `cannot reach Azure Blob Storage at ${context.endpoint} (account "${account}", container "${container}") while ${action} ${url}: ${redactSecrets(error.message)}; gave up after ${context.maxTries} tries`,
      {
        code: 'UNREACHABLE',
        hint: 'check the account name, the endpoint option (or BlobEndpoint= of the connection string) and the network (firewall, proxy, private endpoint)',
      },
    );
  }
  if (status === 401 || status === 403) {
    return new ExportError(`Azure refused ${action} ${url} with ${context.credential} (${detail})`, { code: 'AUTH', hint: context.credentialHint });
  }
  if (code === 'ContainerNotFound') {
    return new ExportError(`the container "${container}" does not exist in the storage account "${account}" (${action} ${url})`, {
      code: 'CONTAINER_NOT_FOUND',
      hint: `create it (az storage container create --account-name ${account} --name ${container} --auth-mode login) or correct the URL`,
    });
  }
  if (code === 'BlobNotFound' || (status === 404 && code === 'unknown error')) {
    return new ExportError(`${url} does not exist`, {
      code: 'NOT_FOUND',
      hint: `see what is there with \`hyperexport remote ls ${url.slice(0, url.lastIndexOf('/'))}\``,
    });
  }
  if (code === 'BlobArchived') {
    return new ExportError(`${url} is in the Archive tier and cannot be read or overwritten (${detail})`, {
      code: 'ARCHIVED',
      hint: 'rehydrate it to the Hot or Cool tier first (az storage blob set-tier --tier Hot --rehydrate-priority High), which takes hours; or delete it',
    });
  }
  if (status === 500 || status === 503) {
    return new ExportError(`Azure Blob Storage is busy or failing while ${action} ${url} (${detail}); gave up after ${context.maxTries} tries`, {
      code: 'UNAVAILABLE',
      hint: 'try again later; raise the maxTries option, or lower concurrency if the account is throttling (ServerBusy)',
    });
  }
  const message = redactSecrets(error.message.split('\n', 1)[0] ?? '');
  return new ExportError(`Azure failed ${action} ${url} (${detail})${message ? `: ${message}` : ''}`, { code: 'AZURE' });
}

/** Removes what could be a secret from text the SDK produced (SAS signatures, account keys). */
export function redactSecrets(text: string): string {
  return text.replace(/([?&]sig=)[^&\s"']+/gi, '$1***').replace(/(AccountKey=|SharedAccessSignature=)[^;\s"']+/gi, '$1***');
}
