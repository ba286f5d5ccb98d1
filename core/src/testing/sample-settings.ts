// Settings shaped like the built-in plugins' (the core names none of them), for the core's own
// tests of profiles and the CLI's settings machinery.
import * as t from 'typanion';
import { defineSettings, setting } from '../settings/define-settings.ts';
import { CORE_EXPORT_SETTINGS } from '../settings/core-export-settings.ts';
import { SettingsRegistry } from '../settings/settings-registry.ts';
import { ProfileSchema } from '../profiles/profile.ts';

const isStorageUrl = t.cascade(t.isString(), [t.matchesRegExp(/^[a-z][a-z0-9+.-]+:/i)]);

export const SAMPLE_PLUGIN_SETTINGS = defineSettings({
  snapshotBefore: setting.boolean({ description: 'snapshot first', profile: true, formerNames: ['before'] }),
  keepSnapshot: setting.boolean({ description: 'keep it', profile: true }),
  compress: setting.string({
    description: 'compression',
    schema: t.cascade(t.isString(), [t.matchesRegExp(/^[a-z][a-z0-9-]*(?::\d{1,2})?$/)]),
    profile: true,
  }),
  encrypt: setting.string({ description: 'encryption', schema: t.isEnum(['aes', 'pgp'] as const), profile: true }),
  targets: setting.list({ description: 'targets', flag: '--upload', schema: t.isArray(isStorageUrl), profile: true, formerNames: ['uploads'] }),
});

export const SAMPLE_REGISTRY = SettingsRegistry.from(CORE_EXPORT_SETTINGS, [{ name: 'sample', settings: SAMPLE_PLUGIN_SETTINGS }]);
export const SAMPLE_PROFILE_SCHEMA = ProfileSchema.of(SAMPLE_REGISTRY);
