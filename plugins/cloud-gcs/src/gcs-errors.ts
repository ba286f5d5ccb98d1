// Turns what @google-cloud/storage, gaxios and google-auth-library throw into errors that name
// the target and say what to do. Session URIs are capabilities (anyone holding one can write to
// the upload), so they never reach a message.
import { ExportError, HyperExportError, isAbortError } from '@hyperexport/core';

const CREDENTIALS_HINT =
  'check the credentials: GOOGLE_APPLICATION_CREDENTIALS or the cloud-gcs `keyFile` option must name a valid service account key or workload identity file (or run `gcloud auth application-default login`)';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

interface ErrorShape {
  code?: unknown;
  status?: unknown;
  message?: unknown;
  errors?: Array<{ reason?: unknown; message?: unknown }>;
  response?: { status?: unknown; data?: unknown };
  cause?: unknown;
}

/** The HTTP status of a library error, when it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  const shape = (error ?? {}) as ErrorShape;
  for (const candidate of [shape.code, shape.status, shape.response?.status]) {
    if (typeof candidate === 'number' && candidate >= 100 && candidate < 600) return candidate;
    if (typeof candidate === 'string' && /^\d{3}$/.test(candidate)) return Number(candidate);
  }
  return undefined;
}

/** True for "the object (or bucket) is not there". */
export function isNotFound(error: unknown): boolean {
  return httpStatusOf(error) === 404;
}

function networkCodeOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    // The resumable upload reports a failed retry as text: "Retry limit exceeded - ... code: ECONNRESET".
    const named = /\b(E[A-Z]{4,}|UND_ERR_[A-Z_]+)\b/.exec(String((current as { message?: unknown }).message ?? ''))?.[1];
    if (named && NETWORK_CODES.has(named)) return named;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The error to keep as `cause`: the original, unless its text holds a session URI. */
function safeCause(error: unknown): unknown {
  const text = error instanceof Error ? `${error.message} ${error.stack ?? ''}` : String(error);
  if (!/upload_id=/.test(text)) return error;
  const copy = new Error(redactSessionUris(error instanceof Error ? error.message : String(error)));
  copy.name = error instanceof Error ? error.name : 'Error';
  return Object.assign(copy, { code: (error as { code?: unknown }).code });
}

function messageOf(error: unknown): string {
  const shape = (error ?? {}) as ErrorShape;
  const data = shape.response?.data as { error?: unknown; error_description?: unknown } | undefined;
  // OAuth/STS errors carry their explanation in the body.
  if (data && typeof data.error === 'string' && typeof data.error_description === 'string') return `${data.error}: ${data.error_description}`;
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  return redactSessionUris(message.split('\n')[0] ?? message);
}

export function redactSessionUris(text: string): string {
  return text.replace(/upload_id=[^&\s"']+/g, 'upload_id=***');
}

function isCredentialProblem(error: unknown): boolean {
  const text = `${messageOf(error)} ${String((error as ErrorShape | undefined)?.cause ?? '')}`;
  return /Could not load the default credentials|invalid_grant|invalid_client|unauthorized_client|Could not refresh access token|private key|PEM|DECODER routines|The incoming JSON object does not contain|ENOENT.*json|credential_source/i.test(
    text,
  );
}

/**
 * An ExportError for a failed operation on a target. `what` says what was being done
 * ("uploading vm1/disk1.vmdk to gs://bucket/prefix/").
 */
export function gcsError(error: unknown, what: string, bucket: string): Error {
  if (error instanceof HyperExportError || isAbortError(error)) return error as Error;
  const status = httpStatusOf(error);
  const message = messageOf(error);
  const options = (code: string, hint: string) => ({ code, hint, cause: safeCause(error) });
  // The library's upload check: the CRC32C GCS computed of what it stored differs from ours of
  // what was sent (a fault on the way); it deletes the object, or says it could not.
  const libraryCode = (error as ErrorShape | undefined)?.code;
  if (libraryCode === 'FILE_NO_UPLOAD' || libraryCode === 'FILE_NO_UPLOAD_DELETE') {
    const deleted = libraryCode === 'FILE_NO_UPLOAD';
    return new ExportError(
      `${what}: Google Cloud Storage stored other bytes than were sent (CRC32C mismatch); ${deleted ? 'the object was deleted' : `deleting the object failed (${message})`}`,
      options(
        'VERIFY',
        deleted ? 'the data was damaged on the way; run the export again' : `delete the object by hand (gcloud storage rm), then run the export again`,
      ),
    );
  }
  if (status === 401 || (status === undefined && isCredentialProblem(error))) {
    return new ExportError(`${what}: Google Cloud Storage refused the credentials (${message})`, options('AUTH', CREDENTIALS_HINT));
  }
  if (status === 400 && isCredentialProblem(error)) {
    return new ExportError(`${what}: the credentials could not be exchanged for an access token (${message})`, options('AUTH', CREDENTIALS_HINT));
  }
  if (status === 403) {
    return new ExportError(
      `${what}: permission denied (${message})`,
      options(
        'PERMISSION',
        `grant the account the Storage Object User role (roles/storage.objectUser) on gs://${bucket}, or check the project billed (projectId)`,
      ),
    );
  }
  if (status === 404 && /bucket does not exist/i.test(message)) {
    return new ExportError(
      `${what}: the bucket gs://${bucket} does not exist`,
      options('NOT_FOUND', `create it (gcloud storage buckets create gs://${bucket}) or correct the target URL`),
    );
  }
  if (status === 404) return new ExportError(`${what}: not found (${message})`, options('NOT_FOUND', 'check the key and the target URL'));
  if (status === 412)
    return new ExportError(`${what}: the object changed meanwhile (${message})`, options('CONFLICT', 'another writer replaced it; run again'));
  if (status === 429 || (status !== undefined && status >= 500)) {
    return new ExportError(
      `${what}: Google Cloud Storage is unavailable (HTTP ${status}: ${message})`,
      options('UNAVAILABLE', 'retry later; raise the cloud-gcs `retries` option for flaky links'),
    );
  }
  const network = networkCodeOf(error);
  if (network !== undefined || /fetch failed|socket hang up|other side closed|terminated/i.test(message)) {
    return new ExportError(
      `${what}: the connection to Google Cloud Storage failed (${network ?? message})`,
      options('UNREACHABLE', 'check the network and the `apiEndpoint` option (or STORAGE_EMULATOR_HOST), then retry'),
    );
  }
  return new ExportError(
    `${what}: ${status === undefined ? '' : `HTTP ${status}: `}${message}`,
    options('EXPORT', 'see the cause above; retry, or check the target URL and credentials'),
  );
}
