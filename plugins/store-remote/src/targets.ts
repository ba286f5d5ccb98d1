// Which targets a job stores to, and how: the config's targets, replaced by `--upload` URLs when
// given; streamed while downloading, or uploaded after the local export.
import { ConfigError, parseTargetUrl, redactUrl, t } from '@hyperexport/core';
import type { Job } from '@hyperexport/core';

export const targetSchema = t.isOneOf([t.isString(), t.isObject({ url: t.isString(), options: t.isOptional(t.isRecord(t.isUnknown())) })]);

export const storeRemoteOptions = t.isObject({
  /** Where every export also goes: URLs, or `{ url, options }` with backend options for that target. */
  targets: t.isOptional(t.isArray(targetSchema)),
  /** Stream to the targets while downloading, with no local copy (default: upload after). */
  stream: t.isOptional(t.isBoolean()),
  /** Keep the local copy after an upload-after (default true). */
  keepLocal: t.isOptional(t.isBoolean()),
});

export type StoreRemoteOptions = t.InferType<typeof storeRemoteOptions>;

export interface Target {
  readonly url: string;
  readonly options: Record<string, unknown>;
}

export interface RemotePlan {
  readonly targets: readonly Target[];
  /** True: stream while downloading; false: upload after the local export is committed. */
  readonly stream: boolean;
  readonly keepLocal: boolean;
}

/**
 * The job's targets and mode; flags (spec.extra) override the config. `localOutput` is the folder
 * the export is written to locally (`--output`, or store-local's `directory`), if any: without
 * one there is nothing to upload after, so the export streams.
 */
export function remotePlan(job: Pick<Job, 'spec'>, options: StoreRemoteOptions, localOutput: string | undefined): RemotePlan {
  const extra = job.spec.extra;
  const fromFlags = extra.targets;
  if (fromFlags !== undefined && !(Array.isArray(fromFlags) && fromFlags.every((item) => typeof item === 'string'))) {
    throw new ConfigError('targets must be a list of URLs', { hint: 'e.g. --upload s3://bucket/prefix (repeatable)' });
  }
  // An empty list (the cloud-backup profile before it is given targets) does not hide the config's.
  const targets: Target[] =
    fromFlags !== undefined && (fromFlags as string[]).length > 0
      ? (fromFlags as string[]).map((url) => ({ url, options: {} }))
      : (options.targets ?? []).map((target) =>
          typeof target === 'string' ? { url: target, options: {} } : { url: target.url, options: target.options ?? {} },
        );
  const noLocalOutput = localOutput === undefined;
  const stream = typeof extra.streamUpload === 'boolean' ? extra.streamUpload : (options.stream ?? noLocalOutput);
  const keepLocal = typeof extra.keepLocal === 'boolean' ? extra.keepLocal : (options.keepLocal ?? true);
  return { targets, stream: stream || noLocalOutput, keepLocal };
}

/** A target as it may appear in messages and results. */
export function describeTarget(target: Target): string {
  return redactUrl(parseTargetUrl(target.url));
}

/** Where an export file goes below the target's root: NAME/file for an OVF folder, the file itself otherwise. */
export function keyOf(baseName: string, format: 'ova' | 'ovf', name: string, kind: string): string {
  return format === 'ovf' && kind !== 'record' ? `${baseName}/${name}` : name;
}
