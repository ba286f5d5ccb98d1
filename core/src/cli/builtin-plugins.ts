// What the default plugins (see default-plugins.ts) add to a run: commands, reverse stages for
// `hyperexport restore`, and plugin instances for the ones the config does not configure.
import { isPluginFactory, isPluginInstance } from '../plugin.ts';
import type { PluginInstance } from '../plugin.ts';
import type { ReverseStage } from '../model.ts';
import type { DefaultPlugin } from './default-plugins.ts';

/** The reverse stages of every default plugin that exports some (the transforms). */
export async function loadReverseStages(defaults: readonly DefaultPlugin[]): Promise<ReverseStage[]> {
  const stages: ReverseStage[] = [];
  for (const plugin of defaults) {
    const module = await plugin.load();
    if (Array.isArray(module.reverseStages)) stages.push(...(module.reverseStages as ReverseStage[]));
  }
  return stages;
}

/** Instances of the default plugins whose names are not already configured. */
export async function loadBuiltinPlugins(defaults: readonly DefaultPlugin[], configured: readonly PluginInstance[]): Promise<PluginInstance[]> {
  const names = new Set(configured.map((plugin) => plugin.definition.name));
  const loaded: PluginInstance[] = [];
  for (const plugin of defaults) {
    const exported = (await plugin.load()).default;
    const instance = isPluginFactory(exported) ? (exported as unknown as () => PluginInstance)() : isPluginInstance(exported) ? exported : undefined;
    if (instance && !names.has(instance.definition.name)) loaded.push(instance);
  }
  return loaded;
}
