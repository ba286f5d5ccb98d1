// Builds the clipanion CLI and runs one command; returns the process exit code.
import { Builtins, Cli } from 'clipanion';
import type { BaseContext } from 'clipanion';
import { coreVersion } from '../core-version.ts';
import { ExitCode } from '../errors.ts';
import { BaseCommand, formatError } from './base-command.ts';
import { HyperExportCli, wantsColors } from './hyperexport-cli.ts';
import { HelpTopicCommand } from './help-command.ts';
import { CompletionCommand } from './completion-command.ts';
export { manPageDate, renderMan, renderMarkdown } from './reference.ts';
import { tolerateClosedOutput } from './closed-output.ts';
import type { DefaultPlugin, HyperExportContext } from './default-plugins.ts';
export type { DefaultPlugin, DefaultPluginModule, HyperExportContext } from './default-plugins.ts';
import { loadCliSurface, withSurface } from './cli-surface.ts';
import type { CliSurface } from './cli-surface.ts';
import { unknownFlagHint } from './unknown-flag-hint.ts';
import { exportCommandFor } from './export-command.ts';
import { VersionCommand } from './version-command.ts';
import { PluginsInitCommand } from './plugins-init-command.ts';
import { PluginsListCommand } from './plugins-list-command.ts';
import { DecryptCommand, RestoreCommand } from './restore-command.ts';
import { ProfilesDeleteCommand, ProfilesInitCommand, ProfilesListCommand, ProfilesShowCommand, profilesSaveCommandFor } from './profiles-command.ts';

export interface MainOptions {
  /** The plugins a run has unless its config turns them off; the caller (the CLI package) names them. */
  readonly defaultPlugins: readonly DefaultPlugin[];
  /** The version `--version` prints; the core's own by default. */
  readonly version?: string;
  /** Streams and environment instead of the process's (tests). */
  readonly context?: Partial<BaseContext>;
}

/**
 * The CLI with the commands and flags of the plugins `surface` loaded (see cli-surface.ts); by
 * default, of the config found from the working directory with the default plugins.
 */
export async function createCli(
  options: Pick<MainOptions, 'defaultPlugins' | 'version'> & { colors?: boolean; surface?: CliSurface },
): Promise<HyperExportCli> {
  const surface = options.surface ?? (await loadCliSurface([], process.cwd(), options.defaultPlugins));
  const cli = new HyperExportCli({
    binaryName: 'hyperexport',
    binaryLabel: 'HyperExport',
    binaryVersion: options.version ?? coreVersion(),
    enableColors: options.colors ?? false,
  });
  cli.register(Builtins.HelpCommand);
  cli.register(VersionCommand);
  cli.register(HelpTopicCommand);
  cli.register(CompletionCommand);
  cli.register(exportCommandFor(surface.registry));
  cli.register(PluginsListCommand);
  cli.register(PluginsInitCommand);
  cli.register(ProfilesListCommand);
  cli.register(ProfilesShowCommand);
  cli.register(profilesSaveCommandFor(surface.registry));
  cli.register(ProfilesDeleteCommand);
  cli.register(ProfilesInitCommand);
  cli.register(RestoreCommand);
  cli.register(DecryptCommand);
  // The commands of the loaded plugins (configured and default), from their definitions.
  for (const command of surface.commands) cli.register(command as never);
  return cli;
}

export async function main(argv: string[], options: MainOptions): Promise<number> {
  // The config and its plugins are loaded before parsing: their settings are the flags.
  const surface = await loadCliSurface(argv, process.cwd(), options.defaultPlugins);
  const full: HyperExportContext = withSurface({ ...Cli.defaultContext, ...options.context, defaultPlugins: options.defaultPlugins }, surface);
  const cli = await createCli({ ...options, colors: wantsColors(full), surface });
  // A closed pipe (`hyperexport ... | true`) is no crash; the export command also cancels on it.
  tolerateClosedOutput(full.stdout);
  tolerateClosedOutput(full.stderr);
  let command;
  try {
    command = cli.process(argv, full);
  } catch (error) {
    const flagHint = unknownFlagHint(error, surface);
    // With a config that did not load, the command may well be a plugin's: its error comes first,
    // since it is what to fix (an unknown flag's hint says so itself).
    if (surface.configError !== undefined && flagHint === '') {
      full.stderr.write(
        `${formatError(surface.configError)}\nnote: the config could not be loaded, so its plugins' commands and flags are missing until it loads\n`,
      );
    }
    full.stderr.write(cli.error(error as Error));
    full.stderr.write(flagHint);
    return ExitCode.USAGE;
  }
  const exitCode = await cli.run(command, full);
  // Option validators (typanion) fail inside run(); BaseCommand.catch records it as a usage error.
  return command instanceof BaseCommand && command.usageError ? ExitCode.USAGE : exitCode;
}
