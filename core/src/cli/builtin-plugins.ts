// The default plugins (see default-plugins.ts) a run adds to the configured ones: everything they
// provide (commands, settings, reverse stages) is read from their definitions.
import { isPluginFactory, isPluginInstance } from '../plugin.ts';
import type { PluginInstance } from '../plugin.ts';
import type { DefaultPlugin } from './default-plugins.ts';

/** A default plugin loaded: its instance, and the package (the list's name) that provides it. */
export interface LoadedDefaultPlugin {
  readonly package: string;
  readonly instance: PluginInstance;
}

/** The default plugins whose names are not already configured, with their packages. */
export async function loadDefaultPlugins(defaults: readonly DefaultPlugin[], configured: readonly PluginInstance[]): Promise<LoadedDefaultPlugin[]> {
  const names = new Set(configured.map((plugin) => plugin.definition.name));
  const loaded: LoadedDefaultPlugin[] = [];
  for (const plugin of defaults) {
    const exported = (await plugin.load()).default;
    const instance = isPluginFactory(exported) ? (exported as unknown as () => PluginInstance)() : isPluginInstance(exported) ? exported : undefined;
    if (instance && !names.has(instance.definition.name)) loaded.push({ package: plugin.name, instance });
  }
  return loaded;
}

/** Instances of the default plugins whose names are not already configured. */
export async function loadBuiltinPlugins(defaults: readonly DefaultPlugin[], configured: readonly PluginInstance[]): Promise<PluginInstance[]> {
  return (await loadDefaultPlugins(defaults, configured)).map((plugin) => plugin.instance);
}
