// Builds the clipanion CLI and runs one command; returns the process exit code.
import { readFileSync } from 'node:fs';
import { Builtins, Cli } from 'clipanion';
import type { BaseContext } from 'clipanion';
import { ExitCode } from '../errors.ts';
import { BaseCommand } from './base-command.ts';
import { HyperExportCli, wantsColors } from './hyperexport-cli.ts';
import { tolerateClosedOutput } from './closed-output.ts';
import { loadBuiltinCommands } from './builtin-plugins.ts';
import { ExportCommand } from './export-command.ts';
import { PluginsListCommand } from './plugins-list-command.ts';
import { DecryptCommand, RestoreCommand } from './restore-command.ts';
import { ProfilesDeleteCommand, ProfilesInitCommand, ProfilesListCommand, ProfilesSaveCommand, ProfilesShowCommand } from './profiles-command.ts';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export async function createCli(options: { colors?: boolean } = {}): Promise<HyperExportCli> {
  const cli = new HyperExportCli({
    binaryName: 'hyperexport',
    binaryLabel: 'HyperExport',
    binaryVersion: packageJson.version,
    enableColors: options.colors ?? false,
  });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  cli.register(ExportCommand);
  cli.register(PluginsListCommand);
  cli.register(ProfilesListCommand);
  cli.register(ProfilesShowCommand);
  cli.register(ProfilesSaveCommand);
  cli.register(ProfilesDeleteCommand);
  cli.register(ProfilesInitCommand);
  cli.register(RestoreCommand);
  cli.register(DecryptCommand);
  for (const command of await loadBuiltinCommands()) cli.register(command);
  return cli;
}

export async function main(argv: string[], context: Partial<BaseContext> = {}): Promise<number> {
  const full: BaseContext = { ...Cli.defaultContext, ...context };
  const cli = await createCli({ colors: wantsColors(full) });
  // A closed pipe (`hyperexport ... | true`) is no crash; the export command also cancels on it.
  tolerateClosedOutput(full.stdout);
  tolerateClosedOutput(full.stderr);
  let command;
  try {
    command = cli.process(argv, full);
  } catch (error) {
    full.stderr.write(cli.error(error as Error));
    return ExitCode.USAGE;
  }
  const exitCode = await cli.run(command, full);
  // Option validators (typanion) fail inside run(); BaseCommand.catch records it as a usage error.
  return command instanceof BaseCommand && command.usageError ? ExitCode.USAGE : exitCode;
}
