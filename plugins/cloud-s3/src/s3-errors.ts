// What an S3 failure means to the person running the export. The SDK reports S3's error code
// (NoSuchBucket, SignatureDoesNotMatch, SlowDown…), a network error code (ECONNREFUSED…) or a
// credential-chain failure; each becomes an ExportError that names the bucket and the endpoint,
// never a secret, and says what to do. HEAD requests carry no error body, so only the status is
// known for them.
import { ExportError, HyperExportError, isAbortError } from '@hyperexport/core';

export interface S3ErrorContext {
  /** What was being done, e.g. `upload of s3://bucket/key` or `listing of s3://bucket/prefix/`. */
  readonly action: string;
  readonly bucket: string;
  /** Where the requests go: the custom endpoint, or `AWS S3 (region)`. */
  readonly endpoint: string;
  /** The IAM permission the action needs, for access-denied hints. */
  readonly permission: string;
}

interface SdkError extends Error {
  readonly Code?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
  readonly $fault?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'EPROTO',
  'UND_ERR_SOCKET',
]);
const CREDENTIAL_CHAIN =
  'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the profile option or AWS_PROFILE (~/.aws/credentials, ~/.aws/config, SSO after `aws sso login`), or an instance/container role';

/** The error to throw for a failed S3 request: typed, with a hint; our own and abort errors pass through. */
export function toExportError(error: unknown, context: S3ErrorContext): Error {
  if (error instanceof HyperExportError || isAbortError(error)) return error as Error;
  if (!(error instanceof Error)) return new ExportError(`${context.action} failed: ${String(error)}`, { code: 'S3' });
  const sdk = error as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  const attempts = sdk.$metadata?.attempts ?? 1;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const code = sdk.Code ?? (sdk.name !== 'Error' ? sdk.name : undefined) ?? sdk.code;
  const at = context.endpoint;

  if (sdk.name === 'CredentialsProviderError' || /could not load credentials/i.test(sdk.message)) {
    return new ExportError(`${context.action} failed: no AWS credentials were found for the bucket "${context.bucket}" (${sdk.message})`, {
      code: 'CREDENTIALS',
      hint: `give credentials through ${CREDENTIAL_CHAIN}`,
      cause: error,
    });
  }
  if (/region is missing/i.test(sdk.message)) {
    return new ExportError(`${context.action} failed: no AWS region is set for the bucket "${context.bucket}"`, {
      code: 'CONFIG',
      hint: 'give the region option, ?region=… in the URL, AWS_REGION, or a region in the profile',
      cause: error,
    });
  }
  switch (code) {
    case 'NoSuchBucket':
      return new ExportError(`the bucket "${context.bucket}" does not exist at ${at}`, {
        code: 'NO_SUCH_BUCKET',
        hint: 'create the bucket first, or fix the bucket name, the region or the endpoint of the target',
        cause: error,
      });
    case 'NoSuchKey':
    case 'NotFound':
      return new ExportError(`${context.action} failed: it does not exist`, {
        code: 'NOT_FOUND',
        hint: 'check the URL with `hyperexport remote ls`',
        cause: error,
      });
    case 'InvalidAccessKeyId':
      return new ExportError(`${context.action} failed: ${at} does not know the access key ID in use (InvalidAccessKeyId)`, {
        code: 'CREDENTIALS',
        hint: `check the credentials given through ${CREDENTIAL_CHAIN}, and that they belong to this endpoint`,
        cause: error,
      });
    case 'SignatureDoesNotMatch':
      return new ExportError(
        `${context.action} failed: ${at} rejected the request signature; the secret access key does not match the access key ID (SignatureDoesNotMatch)`,
        { code: 'CREDENTIALS', hint: `check the secret key given through ${CREDENTIAL_CHAIN}; a proxy that rewrites requests causes this too`, cause: error },
      );
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'InvalidToken':
    case 'TokenRefreshRequired':
      return new ExportError(`${context.action} failed: the AWS session token is expired or invalid (${code})`, {
        code: 'CREDENTIALS',
        hint: 'refresh the session (`aws sso login`, a new AWS_SESSION_TOKEN) and run again',
        cause: error,
      });
    case 'AccessDenied':
    case 'AllAccessDisabled':
    case 'AccountProblem':
      return new ExportError(`${context.action} failed: access denied by ${at} (${code})`, {
        code: 'ACCESS_DENIED',
        hint: `the credentials in use lack ${context.permission} on the bucket "${context.bucket}" (or a bucket policy, KMS key policy or SCP denies it)`,
        cause: error,
      });
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return new ExportError(`${context.action} failed: the bucket "${context.bucket}" is in another region than the one in use (${code})`, {
        code: 'CONFIG',
        hint: "give the bucket's region (region option, ?region=… or AWS_REGION)",
        cause: error,
      });
    case 'InvalidObjectState':
      return new ExportError(`${context.action} failed: the object is archived (its storage class needs a restore before it can be read)`, {
        code: 'ARCHIVED',
        hint: 'restore it first (`aws s3api restore-object`), then read it again',
        cause: error,
      });
    case 'EntityTooLarge':
      return new ExportError(`${context.action} failed: the object is larger than ${at} accepts`, { code: 'TOO_LARGE', cause: error });
    case 'SlowDown':
    case 'ServiceUnavailable':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
    case 'TooManyRequestsException':
      return new ExportError(`${context.action} failed: ${at} kept throttling the requests (${code})${tries}`, {
        code: 'THROTTLED',
        hint: 'run again later, upload fewer files at once (queueSize, parallel exports), or raise maxAttempts',
        cause: error,
      });
    case 'InternalError':
      return new ExportError(`${context.action} failed: ${at} had an internal error${tries}`, {
        code: 'UNAVAILABLE',
        hint: 'run again later; raise maxAttempts if it keeps happening',
        cause: error,
      });
    default:
      break;
  }
  if (
    NETWORK_CODES.has(sdk.code ?? '') ||
    NETWORK_CODES.has(sdk.name) ||
    sdk.name === 'TimeoutError' ||
    /socket hang up|socket timed out|ECONNRESET|ECONNREFUSED/.test(sdk.message)
  ) {
    const reason = sdk.code ?? (sdk.name === 'TimeoutError' ? 'timed out' : sdk.message);
    return new ExportError(`${context.action} failed: cannot reach ${at} (${reason})${tries}`, {
      code: 'UNREACHABLE',
      hint: 'check the endpoint, the network, a proxy or firewall in between, and that the server is up',
      cause: error,
    });
  }
  // HEAD answers have no body: the status is all there is.
  if (status === 403) {
    return new ExportError(`${context.action} failed: ${at} refused it (HTTP 403)`, {
      code: 'ACCESS_DENIED',
      hint: `check the credentials (${CREDENTIAL_CHAIN}) and that they have ${context.permission} on the bucket "${context.bucket}"`,
      cause: error,
    });
  }
  if (status === 503 || status === 429) {
    return new ExportError(`${context.action} failed: ${at} kept answering HTTP ${status}${tries}`, {
      code: 'THROTTLED',
      hint: 'run again later or raise maxAttempts',
      cause: error,
    });
  }
  const detail = code && code !== 'Unknown' && code !== 'UnknownError' ? `${code}: ${sdk.message}` : `${status ? `HTTP ${status}: ` : ''}${sdk.message}`;
  return new ExportError(`${context.action} failed at ${at}: ${detail}${tries}`, { code: 'S3', cause: error });
}

/** Whether an SDK error means the object (not the bucket) is missing. */
export function isNotFound(error: unknown): boolean {
  const sdk = error as SdkError;
  return (
    sdk?.name === 'NoSuchKey' ||
    sdk?.name === 'NotFound' ||
    sdk?.Code === 'NoSuchKey' ||
    (sdk?.$metadata?.httpStatusCode === 404 && sdk?.name !== 'NoSuchBucket' && sdk?.Code !== 'NoSuchBucket')
  );
}
