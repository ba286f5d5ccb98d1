// The plugins every `hyperexport` run has unless the config turns them off (`builtins: false`)
// or configures them itself. They are separate packages, loaded by name only if installed, so
// the core never depends on them.
import { isPluginFactory, isPluginInstance } from '../plugin.ts';
import type { PluginInstance } from '../plugin.ts';

export const BUILTIN_PLUGIN_PACKAGES = [
  '@hyperexport/source-local',
  '@hyperexport/store-local',
] as const;

/** Instances of the built-ins whose names are not already configured. */
export async function loadBuiltinPlugins(configured: readonly PluginInstance[]): Promise<PluginInstance[]> {
  const names = new Set(configured.map((plugin) => plugin.definition.name));
  const loaded: PluginInstance[] = [];
  for (const specifier of BUILTIN_PLUGIN_PACKAGES) {
    let module: { default?: unknown };
    try {
      module = (await import(specifier)) as { default?: unknown };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') continue;
      throw error;
    }
    const exported = module.default;
    const instance = isPluginFactory(exported) ? (exported as unknown as () => PluginInstance)() : isPluginInstance(exported) ? exported : undefined;
    if (instance && !names.has(instance.definition.name)) loaded.push(instance);
  }
  return loaded;
}
