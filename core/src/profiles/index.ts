// Export profiles: named, reusable export settings (built-in and saved as JSON files).
export { checkProfile, isExportProfile, normalizeProfile, profileNameProblem, validateProfileName, PROFILE_FIELDS } from './profile.ts';
export type { ExportProfile, ProfileCheck, ProfileEncryption } from './profile.ts';
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
export { applyProfile, profileJobSettings, PROFILE_EXTRA_KEYS } from './apply-profile.ts';
export type { JobSpecOverrides } from './apply-profile.ts';
