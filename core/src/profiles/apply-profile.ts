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
import { PROFILE_FIELDS } from './profile.ts';
import type { ExportProfile } from './profile.ts';

/** Job settings as the command line gives them to buildJobSpec: any subset, plus extra keys. */
export type JobSpecOverrides = Partial<Omit<JobSpec, 'extra'>> & { extra?: Record<string, unknown> };

/** Profile fields that are core JobSpec fields. */
const CORE_FIELDS = ['format', 'parallel', 'overwrite', 'output', 'name'] as const satisfies ReadonlyArray<keyof ExportProfile & keyof JobSpec>;

/** Profile fields that plugins read from `job.spec.extra`, under the same key: every other field but the description. */
export const PROFILE_EXTRA_KEYS: readonly (keyof ExportProfile)[] = PROFILE_FIELDS.filter(
  (field) => field !== 'description' && !(CORE_FIELDS as readonly string[]).includes(field),
);

/**
 * The job settings a profile sets, and only those: a key the profile leaves out is absent (not
 * undefined), so it neither hides the config's value nor makes a plugin seem needed.
 */
export function profileJobSettings(profile: ExportProfile): JobSpecOverrides {
  const settings: Record<string, unknown> = {};
  for (const field of CORE_FIELDS) if (profile[field] !== undefined) settings[field] = profile[field];
  const extra: Record<string, unknown> = {};
  for (const key of PROFILE_EXTRA_KEYS) {
    const value = profile[key];
    if (value !== undefined) extra[key] = Array.isArray(value) ? [...value] : value;
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
