// The plugins every `hyperexport` run has unless the config turns them off (`builtins: false`)
// or configures them itself. They are separate packages, loaded by name only if installed, so
// the core never depends on them.
import { isPluginFactory, isPluginInstance } from '../plugin.ts';
import type { PluginInstance } from '../plugin.ts';
import type { ReverseStage } from '../model.ts';
import type { CommandClass } from 'clipanion';

export const BUILTIN_PLUGIN_PACKAGES = [
  '@hyperexport/source-local',
  '@hyperexport/source-vsphere',
  '@hyperexport/snapshot',
  '@hyperexport/store-local',
  '@hyperexport/validate',
  '@hyperexport/history',
  '@hyperexport/bandwidth',
  '@hyperexport/compress',
  '@hyperexport/encrypt-aes',
  '@hyperexport/encrypt-pgp',
  '@hyperexport/convert-qemu',
  '@hyperexport/store-remote',
  '@hyperexport/cloud-s3',
  '@hyperexport/cloud-azure',
  '@hyperexport/cloud-gcs',
  '@hyperexport/cloud-sftp',
  '@hyperexport/notify-email',
  '@hyperexport/notify-slack',
  '@hyperexport/notify-discord',
  '@hyperexport/notify-teams',
  '@hyperexport/notify-pagerduty',
  '@hyperexport/notify-webhook',
  '@hyperexport/retention',
] as const;

/** Packages whose `reverseStages` export undoes their transforms, for `hyperexport restore`. */
const REVERSIBLE_TRANSFORM_PACKAGES = ['@hyperexport/compress', '@hyperexport/encrypt-aes', '@hyperexport/encrypt-pgp'] as const;

async function importBuiltin(specifier: string): Promise<{ default?: unknown; commands?: unknown; reverseStages?: unknown } | undefined> {
  try {
    return (await import(specifier)) as { default?: unknown; commands?: unknown; reverseStages?: unknown };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(specifier)) return undefined;
    throw error;
  }
}

/** CLI commands that built-in packages contribute (their `commands` export), e.g. `vms`. */
export async function loadBuiltinCommands(): Promise<CommandClass[]> {
  const commands: CommandClass[] = [];
  for (const specifier of BUILTIN_PLUGIN_PACKAGES) {
    const module = await importBuiltin(specifier);
    if (Array.isArray(module?.commands)) commands.push(...(module.commands as CommandClass[]));
  }
  return commands;
}

/** The reverse stages of every installed transform package. */
export async function loadReverseStages(): Promise<ReverseStage[]> {
  const stages: ReverseStage[] = [];
  for (const specifier of REVERSIBLE_TRANSFORM_PACKAGES) {
    const module = await importBuiltin(specifier);
    if (Array.isArray(module?.reverseStages)) stages.push(...(module.reverseStages as ReverseStage[]));
  }
  return stages;
}

/** Instances of the built-ins whose names are not already configured. */
export async function loadBuiltinPlugins(configured: readonly PluginInstance[]): Promise<PluginInstance[]> {
  const names = new Set(configured.map((plugin) => plugin.definition.name));
  const loaded: PluginInstance[] = [];
  for (const specifier of BUILTIN_PLUGIN_PACKAGES) {
    const module = await importBuiltin(specifier);
    if (!module) continue;
    const exported = module.default;
    const instance = isPluginFactory(exported) ? (exported as unknown as () => PluginInstance)() : isPluginInstance(exported) ? exported : undefined;
    if (instance && !names.has(instance.definition.name)) loaded.push(instance);
  }
  return loaded;
}
