// `hyperexport plugins list`: what the config (plus the built-ins) sets up, each plugin marked as
// configured (the config lists it) or default (a built-in added because the config does not turn
// builtins off), with what it provides: capabilities, settings (by their flags) and commands.
import { Command } from 'clipanion';
import type { CommandClass } from 'clipanion';
import { ExitCode } from '../errors.ts';
import { isPluginFactory, isPluginInstance } from '../plugin.ts';
import type { PluginDefinition, PluginInstance } from '../plugin.ts';
import { flagOf } from '../settings/setting-flag.ts';
import type { SettingDeclaration } from '../settings/setting-declaration.ts';
import { BaseCommand } from './base-command.ts';
import { loadBuiltinPlugins } from './builtin-plugins.ts';
import type { DefaultPlugin } from './default-plugins.ts';

// Commands of any context: a plugin's commands are typed as the plugin declares them.
type AnyCommand = CommandClass<any>;

/** One line of the list: a plugin, where it comes from and what it adds. */
export interface ListedPlugin {
  readonly name: string;
  readonly version: string;
  readonly description: string | undefined;
  /** `configured`: the config lists it; `default`: a built-in added because the config does not set `builtins: false`. */
  readonly origin: 'configured' | 'default';
  readonly provides: readonly string[];
  readonly settings: ReadonlyArray<{ readonly name: string; readonly flag: string; readonly env?: string }>;
  /** The commands it adds, as typed after `hyperexport`. */
  readonly commands: readonly string[];
}

export class PluginsListCommand extends BaseCommand {
  static override paths = [['plugins', 'list'], ['plugins']];

  static override usage = Command.Usage({
    description: 'list the plugins a run would use',
    details: `
      Loads the config, adds the built-in plugins, checks every option, and lists the result in
      setup order. Each plugin is marked "configured" (the config lists it) or "default" (a
      built-in added because the config does not set \`builtins: false\`), with the capabilities,
      settings (by their flags) and commands it adds.
    `,
    examples: [
      ['List the plugins of the config found from here', '$0 plugins list'],
      ['As JSON, for another config', '$0 plugins list --config ./other.config.ts --json'],
    ],
  });

  async run(): Promise<number> {
    const loaded = await this.loadConfigFile('plugins');
    const exporter = await this.createExporter(loaded);
    const defaults = loaded.builtins ? await loadBuiltinPlugins(this.context.defaultPlugins, loaded.plugins) : [];
    const definitions = new Map<string, PluginDefinition<unknown>>(
      [...loaded.plugins, ...defaults].map((plugin) => [plugin.definition.name, plugin.definition]),
    );
    const configured = new Set(loaded.plugins.map((plugin) => plugin.definition.name));
    const moduleCommands = await commandsOfDefaultPackages(this.context.defaultPlugins);
    const plugins: ListedPlugin[] = exporter.plugins.map((plugin) => {
      const definition = definitions.get(plugin.name);
      const commands = new Set([...(definition?.commands ?? []), ...(moduleCommands.get(plugin.name) ?? [])]);
      return {
        name: plugin.name,
        version: plugin.version,
        description: plugin.description,
        origin: configured.has(plugin.name) ? 'configured' : 'default',
        provides: plugin.provides,
        settings: Object.entries((definition?.settings ?? {}) as Record<string, SettingDeclaration>).map(([name, declaration]) => ({
          name,
          flag: flagOf(name, declaration),
          ...(declaration.env ? { env: declaration.env } : {}),
        })),
        commands: [...commands].map(commandName).filter((name): name is string => name !== undefined),
      };
    });
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ type: 'plugins', config: loaded.filepath ?? null, builtins: loaded.builtins, plugins })}\n`);
      return ExitCode.OK;
    }
    const counted = `${plugins.filter((plugin) => plugin.origin === 'configured').length} configured, ${plugins.filter((plugin) => plugin.origin === 'default').length} default`;
    const turnOff = loaded.builtins ? '; `builtins: false` in the config leaves the defaults out' : '';
    this.context.stdout.write(`config: ${loaded.filepath ?? '(none found; built-in plugins only)'} (${counted}${turnOff})\n`);
    const width = Math.max(...plugins.map((plugin) => plugin.name.length), 4);
    for (const plugin of plugins) {
      this.context.stdout.write(`  ${plugin.name.padEnd(width)}  ${plugin.version.padEnd(8)} ${plugin.origin.padEnd(10)} ${plugin.description ?? ''}\n`);
      const indent = ' '.repeat(width + 4);
      if (plugin.provides.length > 0) this.context.stdout.write(`${indent}provides: ${plugin.provides.join(', ')}\n`);
      if (plugin.settings.length > 0) this.context.stdout.write(`${indent}settings: ${plugin.settings.map((setting) => setting.flag).join(', ')}\n`);
      if (plugin.commands.length > 0) this.context.stdout.write(`${indent}commands: ${plugin.commands.join(', ')}\n`);
    }
    return ExitCode.OK;
  }
}

/** The commands a default plugin's package exports beside the plugin (`export const commands`), by plugin name. */
async function commandsOfDefaultPackages(defaults: readonly DefaultPlugin[]): Promise<Map<string, readonly AnyCommand[]>> {
  const byName = new Map<string, readonly AnyCommand[]>();
  for (const plugin of defaults) {
    const module = await plugin.load();
    if (!Array.isArray(module.commands) || module.commands.length === 0) continue;
    const exported = module.default;
    const instance = isPluginFactory(exported) ? (exported as unknown as () => PluginInstance)() : isPluginInstance(exported) ? exported : undefined;
    if (instance) byName.set(instance.definition.name, module.commands as AnyCommand[]);
  }
  return byName;
}

/** A command class's first path, as typed after `hyperexport` (`vm info`). */
function commandName(command: AnyCommand): string | undefined {
  const path = (command as { paths?: string[][] }).paths?.[0];
  return path && path.length > 0 ? path.join(' ') : undefined;
}
