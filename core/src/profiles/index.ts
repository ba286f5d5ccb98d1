// Export profiles: named, reusable export settings (built-in and saved as JSON files).
export { checkProfile, normalizeProfile, profileNameProblem, validateProfileName, ProfileSchema, CORE_PROFILE_SCHEMA } from './profile.ts';
export type { ExportProfile, ProfileCheck, CheckProfileOptions } from './profile.ts';
export { BUILTIN_PROFILES, BUILTIN_PROFILE_NAMES, builtinProfile, isBuiltinProfileName } from './builtin-profiles.ts';
export {
  deleteProfile,
  listProfiles,
  loadProfile,
  profilesDirectory,
  readProfileFile,
  resolveProfile,
  saveProfile,
  PROFILES_DIR_ENV,
} from './profile-store.ts';
export type { ProfileEntry, ProfileSource, ProfileStoreOptions, ResolvedProfile, SavedProfile, SaveProfileOptions } from './profile-store.ts';
export { applyProfile, profileJobSettings } from './apply-profile.ts';
export type { JobSpecOverrides } from './apply-profile.ts';
