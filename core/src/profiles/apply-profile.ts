// How a profile takes part in a job's settings (`hyperexport export --profile NAME`).
//
// Precedence, highest first:
//   1. a value given on the command line (a flag that is defined, `--no-overwrite` included);
//   2. the profile;
//   3. the config file's `export` section;
//   4. the built-in defaults (format ova, parallel 4, overwrite false; see buildJobSpec).
// applyProfile does steps 1 and 2; buildJobSpec(exportDefaults, applyProfile(profile, flags))
// then fills the rest from the config and the defaults, since it keeps a value it is given.
import type { JobSpec } from '../model.ts';
import { JOB_SPEC_FIELDS } from '../settings/core-export-settings.ts';
import type { ExportProfile } from './profile.ts';

/** Job settings as the command line gives them to buildJobSpec: any subset, plus extra keys. */
export type JobSpecOverrides = Partial<Omit<JobSpec, 'extra'>> & { extra?: Record<string, unknown> };

const CORE_FIELDS: readonly string[] = JOB_SPEC_FIELDS satisfies ReadonlyArray<keyof JobSpec>;

/**
 * The job settings a profile sets, and only those: a key the profile leaves out is absent (not
 * undefined), so it neither hides the config's value nor makes a plugin seem needed.
 */
export function profileJobSettings(profile: ExportProfile): JobSpecOverrides {
  const settings: Record<string, unknown> = {};
  for (const field of CORE_FIELDS) if (profile[field] !== undefined) settings[field] = profile[field];
  const extra: Record<string, unknown> = {};
  // Every other setting but the description travels in `spec.extra`, under its name.
  for (const [key, value] of Object.entries(profile)) {
    if (key === 'description' || CORE_FIELDS.includes(key)) continue;
    if (value !== undefined) extra[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  if (Object.keys(extra).length > 0) settings.extra = extra;
  return settings as JobSpecOverrides;
}

/**
 * Merges a profile under the command line's values: every flag that is defined wins, an
 * undefined flag leaves the profile's value. `extra` is merged key by key the same way. The
 * result holds only keys that the flags or the profile set; feed it to buildJobSpec, which adds
 * the config's `export` section and the defaults under it.
 */
export function applyProfile(profile: ExportProfile | undefined, flags: JobSpecOverrides): JobSpecOverrides {
  const fromProfile = profile ? profileJobSettings(profile) : {};
  const merged: Record<string, unknown> = { ...fromProfile };
  for (const [key, value] of Object.entries(flags)) {
    if (key !== 'extra' && value !== undefined) merged[key] = value;
  }
  const extra: Record<string, unknown> = { ...fromProfile.extra };
  for (const [key, value] of Object.entries(flags.extra ?? {})) {
    if (value !== undefined) extra[key] = value;
  }
  if (Object.keys(extra).length > 0) merged.extra = extra;
  else delete merged.extra;
  return merged as JobSpecOverrides;
}
