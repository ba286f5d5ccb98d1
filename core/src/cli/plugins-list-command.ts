// `hyperexport plugins list`: what the config (plus the built-ins) sets up.
import { Command } from 'clipanion';
import { ExitCode } from '../errors.ts';
import { BaseCommand } from './base-command.ts';

export class PluginsListCommand extends BaseCommand {
  static override paths = [['plugins', 'list'], ['plugins']];

  static override usage = Command.Usage({
    description: 'list the plugins a run would use',
    details: 'Loads the config, adds the built-in plugins, checks every option, and lists the result in setup order.',
    examples: [
      ['List the plugins of the config found from here', '$0 plugins list'],
      ['As JSON, for another config', '$0 plugins list --config ./other.config.ts --json'],
    ],
  });

  async run(): Promise<number> {
    const loaded = await this.loadConfigFile('plugins');
    const exporter = await this.createExporter(loaded);
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ type: 'plugins', config: loaded.filepath ?? null, plugins: exporter.plugins })}\n`);
      return ExitCode.OK;
    }
    this.context.stdout.write(`config: ${loaded.filepath ?? '(none found; built-in plugins only)'}\n`);
    const width = Math.max(...exporter.plugins.map((plugin) => plugin.name.length), 4);
    for (const plugin of exporter.plugins) {
      const provides = plugin.provides.length > 0 ? ` [${plugin.provides.join(', ')}]` : '';
      this.context.stdout.write(`  ${plugin.name.padEnd(width)}  ${plugin.version.padEnd(8)} ${plugin.description ?? ''}${provides}\n`);
    }
    return ExitCode.OK;
  }
}
