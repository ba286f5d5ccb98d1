// Options of the cloud-gcs plugin. The same settings may be given for the plugin as a whole (the
// config's `cloudGcs({...})`) or per target (`targets: [{ url: 'gs://...', ...}]`); a target's
// settings win. None of them is secret: credentials come from a file the options point at.
import { ConfigError, t } from '@hyperexport/core';

export const STORAGE_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'] as const;

/** GCS wants intermediate chunks of a resumable upload in multiples of 256 KiB. */
export const CHUNK_GRANULE = 256 * 1024;
/** 16 MiB: GCS recommends at least 8 MiB; memory per upload is about one chunk. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_RETRIES = 3;

export interface GcsOptions {
  /** Credential file (service account key, or workload identity federation); default GOOGLE_APPLICATION_CREDENTIALS, then gcloud's application default credentials. */
  keyFile?: string | undefined;
  /** Project to bill and to use for requests that need one. */
  projectId?: string | undefined;
  /** Another endpoint (a private endpoint, or an emulator); default https://storage.googleapis.com, or STORAGE_EMULATOR_HOST. */
  apiEndpoint?: string | undefined;
  /** Send no credentials (local emulators only). Default: true for STORAGE_EMULATOR_HOST, false otherwise. */
  anonymous?: boolean | undefined;
  /** Bytes per resumable-upload request, a multiple of 256 KiB; memory used per upload. */
  chunkSize?: number | undefined;
  /** Retries of a failed request, with exponential backoff (0 turns retries off). */
  retries?: number | undefined;
  /** Storage class of uploaded objects; default: the bucket's default class. */
  storageClass?: (typeof STORAGE_CLASSES)[number] | undefined;
}

export const gcsOptionsSchema = t.isObject({
  keyFile: t.isOptional(t.isString()),
  projectId: t.isOptional(t.isString()),
  apiEndpoint: t.isOptional(t.isString()),
  anonymous: t.isOptional(t.isBoolean()),
  chunkSize: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(CHUNK_GRANULE)])),
  retries: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(0, 20)])),
  storageClass: t.isOptional(t.isEnum(STORAGE_CLASSES)),
});

/** What a client is built from, once options and environment are merged. */
export interface ResolvedGcsSettings {
  readonly keyFile: string | undefined;
  readonly projectId: string | undefined;
  readonly apiEndpoint: string | undefined;
  readonly anonymous: boolean;
  readonly chunkSize: number;
  readonly retries: number;
  readonly storageClass: string | undefined;
}

/** Checks a target's own options against the same schema as the plugin's. */
export function checkTargetOptions(options: Readonly<Record<string, unknown>>, url: string): GcsOptions {
  const errors: string[] = [];
  if (!gcsOptionsSchema(options, { errors })) {
    throw new ConfigError(`invalid cloud-gcs options for ${url}`, { problems: errors, hint: 'see the cloud-gcs README for the options a gs:// target takes' });
  }
  return options as GcsOptions;
}

export function resolveGcsSettings(plugin: GcsOptions, target: GcsOptions, env: NodeJS.ProcessEnv): ResolvedGcsSettings {
  const merged: GcsOptions = { ...plugin, ...definedOnly(target) };
  const emulator = env.STORAGE_EMULATOR_HOST || undefined;
  const apiEndpoint = merged.apiEndpoint ?? emulator;
  const anonymous = merged.anonymous ?? (merged.apiEndpoint === undefined && emulator !== undefined);
  if (anonymous && apiEndpoint === undefined) {
    throw new ConfigError('cloud-gcs: `anonymous: true` only works with an emulator endpoint', {
      hint: 'set `apiEndpoint` (or STORAGE_EMULATOR_HOST), or remove `anonymous`',
    });
  }
  const chunkSize = merged.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (chunkSize % CHUNK_GRANULE !== 0) {
    throw new ConfigError(`cloud-gcs: chunkSize ${chunkSize} is not a multiple of 256 KiB (262144 bytes)`, {
      hint: `use for example ${DEFAULT_CHUNK_SIZE} (16 MiB)`,
    });
  }
  return {
    keyFile: merged.keyFile ?? (env.GOOGLE_APPLICATION_CREDENTIALS || undefined),
    projectId: merged.projectId ?? (env.GOOGLE_CLOUD_PROJECT || undefined),
    apiEndpoint,
    anonymous,
    chunkSize,
    retries: merged.retries ?? DEFAULT_RETRIES,
    storageClass: merged.storageClass,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
