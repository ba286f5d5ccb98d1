// A plugin's options in the config may set its declared settings under their names
// (`snapshot({ snapshotBefore: true })`) or former names (`snapshot({ before: true })`): those keys
// are settings, checked by their schemas; the rest are the plugin's own options, checked by its
// options schema.
import { settingValueProblem } from './check-setting-value.ts';
import { renameFormerNames } from './former-names.ts';
import type { SettingsDeclarations } from './setting-declaration.ts';

export interface SplitOptions {
  /** The plugin's own options, without the settings. */
  readonly options: unknown;
  /** The settings the options set, checked. */
  readonly settings: Record<string, unknown>;
  readonly problems: string[];
}

export function splitPluginOptions(pluginName: string, raw: unknown, declarations: SettingsDeclarations | undefined): SplitOptions {
  if (!declarations || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { options: raw, settings: {}, problems: [] };
  const renamed = renameFormerNames(raw as Record<string, unknown>, declarations);
  const problems = renamed.problems.map((problem) => `plugin "${pluginName}" option ${problem}`);
  const options: Record<string, unknown> = {};
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(renamed.values)) {
    const declaration = Object.hasOwn(declarations, key) ? declarations[key] : undefined;
    if (!declaration) {
      options[key] = value;
      continue;
    }
    if (value === undefined) continue;
    const checked = settingValueProblem(key, declaration, value, { channel: 'plugin option', where: `"${pluginName}"` });
    if (checked.ok) settings[key] = checked.value;
    else problems.push(checked.message);
  }
  return { options, settings, problems };
}
