// --profile NAME: the profile's settings as config-level defaults and `spec.extra` keys.
import type { ExportDefaults } from '../config.ts';
import { applyProfile, loadProfile } from '../profiles/index.ts';

export async function profileSettings(name: string): Promise<{ spec?: ExportDefaults; extra: Record<string, unknown> }> {
  const profile = await loadProfile(name);
  const applied = applyProfile(profile, {});
  const { extra = {}, ...spec } = applied as ExportDefaults & { extra?: Record<string, unknown> };
  return { spec, extra: Object.fromEntries(Object.entries(extra).filter(([, value]) => value !== undefined)) };
}
