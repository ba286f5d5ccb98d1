// --profile NAME: the profile's settings as config-level defaults and `spec.extra` keys.
import type { ExportDefaults } from '../config.ts';
import { loadProfile, profileJobSettings } from '../profiles/index.ts';

export async function profileSettings(name: string): Promise<{ spec: ExportDefaults; extra: Record<string, unknown> }> {
  const { extra = {}, ...spec } = profileJobSettings(await loadProfile(name)) as ExportDefaults & { extra?: Record<string, unknown> };
  return { spec, extra };
}
