// Options of the S3 backend. They come from three places, later ones winning: the plugin's options
// in the config (defaults for every s3:// target), a target's options in the config
// (`targets: [{ url: 's3://…', options: { storageClass: 'STANDARD_IA' } }]`), and the target URL's
// query string (`s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1`), handy with
// `--upload URL`. None of them is a secret, and none may be: credentials come from the AWS chain.
import { ConfigError, t } from '@hyperexport/core';
import { MiB } from './part-size.ts';

export const SSE_MODES = ['AES256', 'aws:kms', 'aws:kms:dsse'] as const;
export type SseMode = (typeof SSE_MODES)[number];

const integerIn = (min: number, max: number) => t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(min, max)]));

const optionShape = {
  /** S3-compatible endpoint (MinIO, Ceph, s3rver…), e.g. `http://127.0.0.1:9000`; default: AWS. */
  endpoint: t.isOptional(t.isString()),
  /** AWS region; default: AWS_REGION or the profile's region (us-east-1 for custom endpoints). */
  region: t.isOptional(t.isString()),
  /** Address buckets as `endpoint/bucket` instead of `bucket.endpoint` (default: true with a custom endpoint). */
  forcePathStyle: t.isOptional(t.isBoolean()),
  /** Profile of ~/.aws/config and ~/.aws/credentials (SSO, roles, keys) to take credentials from. */
  profile: t.isOptional(t.isString()),
  /** Storage class of the objects (STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, …). */
  storageClass: t.isOptional(t.cascade(t.isString(), [t.matchesRegExp(/^[A-Z][A-Z0-9_]*$/)])),
  /** Server-side encryption: AES256 (S3-managed keys), aws:kms or aws:kms:dsse. */
  sse: t.isOptional(t.isEnum(SSE_MODES)),
  /** KMS key (id, alias or ARN) for sse aws:kms; implies sse aws:kms when sse is not given. */
  kmsKeyId: t.isOptional(t.isString()),
  /** Smallest part size in MiB (default 8); parts grow with the object (see README). */
  partSizeMiB: integerIn(5, 5120),
  /** Parts uploaded at once (default 4). */
  queueSize: integerIn(1, 64),
  /** Attempts per request, the first included (default 5); throttling and network errors are retried. */
  maxAttempts: integerIn(1, 20),
};

export const s3OptionsSchema = t.isObject(optionShape);
export type S3Options = t.InferType<typeof s3OptionsSchema>;
export const OPTION_NAMES = Object.keys(optionShape) as readonly (keyof S3Options)[];

export const DEFAULTS = Object.freeze({ partSizeMiB: 8, queueSize: 4, maxAttempts: 5 });

/** Options with defaults applied and checked against each other. */
export interface S3Settings {
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  readonly forcePathStyle?: boolean | undefined;
  readonly profile?: string | undefined;
  readonly storageClass?: string | undefined;
  readonly sse?: SseMode | undefined;
  readonly kmsKeyId?: string | undefined;
  readonly partSize: number;
  readonly queueSize: number;
  readonly maxAttempts: number;
}

const BOOLEAN_OPTIONS = new Set<string>(['forcePathStyle']);
const INTEGER_OPTIONS = new Set<string>(['partSizeMiB', 'queueSize', 'maxAttempts']);
const README_HINT = 'see the options of @hyperexport/cloud-s3 in its README';

/** The options in a target URL's query string, typed and checked. */
export function optionsFromQuery(params: URLSearchParams, shown: string): S3Options {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    if (!(OPTION_NAMES as readonly string[]).includes(name)) {
      problems.push(`unknown option "${name}" (known: ${OPTION_NAMES.join(', ')})`);
      continue;
    }
    if (values.length > 1) {
      problems.push(`option "${name}" is given ${values.length} times`);
      continue;
    }
    const value = values[0]!;
    if (BOOLEAN_OPTIONS.has(name)) {
      if (value === 'true' || value === 'false') raw[name] = value === 'true';
      else problems.push(`option "${name}" must be true or false (got "${value}")`);
    } else if (INTEGER_OPTIONS.has(name)) {
      if (/^\d+$/.test(value)) raw[name] = Number(value);
      else problems.push(`option "${name}" must be a whole number (got "${value}")`);
    } else {
      raw[name] = value;
    }
  }
  if (problems.length === 0) checkOptions(raw, problems);
  if (problems.length > 0) throw new ConfigError(`invalid options in the query of ${shown}`, { problems, hint: README_HINT });
  return raw as S3Options;
}

/**
 * A target's own options from the config, checked here (the plugin's were checked when the
 * config loaded). Every key must be one of this backend's: nothing else reads a target's options,
 * so a misspelt `storageclass` would otherwise be dropped without a word.
 */
export function optionsFromTarget(targetOptions: Readonly<Record<string, unknown>>, shown: string): S3Options {
  const own: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(targetOptions)) {
    if (!(OPTION_NAMES as readonly string[]).includes(name)) problems.push(`unknown option "${name}" (known: ${OPTION_NAMES.join(', ')})`);
    else if (value !== undefined) own[name] = value;
  }
  if (problems.length === 0) checkOptions(own, problems);
  if (problems.length > 0) throw new ConfigError(`invalid options for the target ${shown}`, { problems, hint: README_HINT });
  return own as S3Options;
}

/** Plugin options, then the target's, then the URL's; defaults; cross-checks. */
export function resolveSettings(layers: readonly S3Options[], shown: string): S3Settings {
  const merged: S3Options = Object.assign({}, ...layers) as S3Options;
  let sse = merged.sse;
  if (merged.kmsKeyId !== undefined) {
    if (sse === undefined) sse = 'aws:kms';
    else if (sse === 'AES256') {
      throw new ConfigError(`the target ${shown} has a kmsKeyId with sse AES256`, {
        hint: 'use sse aws:kms (or aws:kms:dsse) with a KMS key, or drop kmsKeyId for S3-managed keys',
      });
    }
  }
  if (merged.endpoint !== undefined) checkEndpoint(merged.endpoint, shown);
  return {
    endpoint: merged.endpoint,
    region: merged.region,
    forcePathStyle: merged.forcePathStyle,
    profile: merged.profile,
    storageClass: merged.storageClass,
    sse,
    kmsKeyId: merged.kmsKeyId,
    partSize: (merged.partSizeMiB ?? DEFAULTS.partSizeMiB) * MiB,
    queueSize: merged.queueSize ?? DEFAULTS.queueSize,
    maxAttempts: merged.maxAttempts ?? DEFAULTS.maxAttempts,
  };
}

/** An endpoint is an http(s) origin; it never carries credentials (it is printed in messages). */
export function checkEndpoint(endpoint: string, shown: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`the S3 endpoint "${endpoint.replace(/\/\/[^/@]*@/, '//***@')}" of ${shown} is not a URL`, {
      hint: 'write it like https://s3.example.com or http://127.0.0.1:9000',
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`the S3 endpoint of ${shown} has credentials in it`, {
      hint: 'remove them; credentials come from the AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, SSO, an instance role)',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`the S3 endpoint ${url.origin} of ${shown} is not http:// or https://`, {
      hint: 'write it like https://s3.example.com or http://127.0.0.1:9000',
    });
  }
  return url;
}

function checkOptions(raw: Record<string, unknown>, problems: string[]): void {
  const errors: string[] = [];
  if (!s3OptionsSchema(raw, { errors })) problems.push(...errors.map((error) => error.replace(/^\./, '')));
}
