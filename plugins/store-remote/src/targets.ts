// Which targets a job stores to, and how: the config's targets, replaced by `--upload` URLs when
// given; streamed while downloading, or uploaded after the local export.
import { parseTargetUrl, redactUrl } from '@hyperexport/core';
import type { TargetSetting } from './store-remote-settings.ts';

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

/** The job's values of the plugin's settings, and the config's (used where the job gives an empty list). */
export interface PlanSettings {
  readonly targets?: readonly TargetSetting[] | undefined;
  readonly streamUpload?: boolean | undefined;
  readonly keepLocal?: boolean | undefined;
}

/**
 * The job's targets and mode; the job's settings (flags, a profile) override the config's.
 * `localOutput` is the folder the export is written to locally (`--output`, or store-local's
 * `directory`), if any: without one there is nothing to upload after, so the export streams.
 */
export function remotePlan(job: PlanSettings, configured: PlanSettings, localOutput: string | undefined): RemotePlan {
  // An empty list (the cloud-backup profile before it is given targets) does not hide the config's.
  const chosen = job.targets !== undefined && job.targets.length > 0 ? job.targets : (configured.targets ?? []);
  const targets: Target[] = chosen.map((target) =>
    typeof target === 'string' ? { url: target, options: {} } : { url: target.url, options: target.options ?? {} },
  );
  const noLocalOutput = localOutput === undefined;
  const stream = job.streamUpload ?? noLocalOutput;
  const keepLocal = job.keepLocal ?? true;
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
