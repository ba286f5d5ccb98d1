// Options and behaviour every command shares: --config, --json, and the mapping of errors to
// the documented exit codes (0 ok, 1 export failed, 2 usage or config error).
import { Command, Option } from 'clipanion';
import { loadConfig } from '../config.ts';
import type { LoadedConfig } from '../config.ts';
import { describeSearch, projectSearchDirs, userConfigDir } from '../config-discovery.ts';
import { debugDestination, isDebugTracing, startDebugTrace } from '../debug-trace.ts';
import { ConfigError, ExitCode, HyperExportError, PluginError } from '../errors.ts';
import { Exporter } from '../exporter.ts';
import type { EventBus } from '../events.ts';
import { redactCredentialsDeep, redactUrlCredentials } from '../redact-credentials.ts';
import { loadBuiltinPlugins } from './builtin-plugins.ts';
import { interruptionExitCode } from './cancellation.ts';
import { surfaceOf } from './cli-surface.ts';
import type { CliSurface } from './cli-surface.ts';
import { withPlaceholder } from './placeholders.ts';
import type { HyperExportContext } from './default-plugins.ts';

export abstract class BaseCommand extends Command<HyperExportContext> {
  config = withPlaceholder(
    'FILE',
    Option.String('--config,-c', {
      description: 'Path of the config file (default: found from the working directory upward, then ~/.config/hyperexport; see the README)',
    }),
  );
  // What --json prints differs by command; each command whose output is not one object says so
  // by overriding this with jsonOption(...) and one of JSON_OUTPUT's descriptions.
  json = jsonOption(JSON_OUTPUT.oneObject);
  verbose = Option.Boolean('--verbose,-v', false, {
    description: 'Say more: the config file used (or where none was found), each stage with its duration, every file written with its SHA-256',
  });
  debug = withPlaceholder(
    'FILE',
    Option.String('--debug', {
      tolerateBoolean: true,
      description: 'Trace every SOAP call and disk request (secrets redacted) on stderr, or with --debug=FILE into FILE (default: HYPEREXPORT_DEBUG)',
    }),
  );

  /** Set when clipanion rejected an option value before `execute` ran. */
  usageError = false;

  /** The command's work; returns the exit code. */
  abstract run(): Promise<number>;

  async execute(): Promise<number> {
    let stopTrace: (() => void) | undefined;
    try {
      const destination = debugDestination(this.debug, process.env);
      if (destination) stopTrace = startDebugTrace(destination, this.context.stderr);
      return await this.run();
    } catch (error) {
      return this.reportError(error);
    } finally {
      stopTrace?.();
    }
  }

  // clipanion routes option-validation failures here; they are usage errors (exit code 2).
  override async catch(error: unknown): Promise<void> {
    this.usageError = true;
    this.context.stderr.write(this.cli.error(error as Error, { command: this }));
  }

  /** What the config's plugins add (settings, commands, reverse stages), loaded by main() before parsing. */
  protected get surface(): CliSurface | undefined {
    return surfaceOf(this.context);
  }

  /** The config main() loaded before parsing (its error, if it failed, is thrown now), else loaded here. */
  protected async loadConfigFile(command: string): Promise<LoadedConfig> {
    const surface = this.surface;
    if (surface?.configError !== undefined) throw surface.configError;
    const cwd = process.cwd();
    const loaded = surface?.loaded ?? (await loadConfig({ explicitPath: this.config, cwd, command, defaultPlugins: this.context.defaultPlugins }));
    if (this.verbose) {
      const where = loaded.filepath ?? `none found (looked for ${describeSearch(await projectSearchDirs(cwd), userConfigDir(), cwd)})`;
      this.context.stderr.write(`config: ${where}\n`);
    }
    return loaded;
  }

  /** Loads the config, adds the built-in plugins, validates and sets up every plugin. */
  protected async createExporter(loaded: LoadedConfig, bus?: EventBus): Promise<Exporter> {
    const surface = this.surface;
    const builtins =
      surface?.loaded === loaded
        ? surface.plugins.slice(loaded.plugins.length)
        : loaded.builtins
          ? await loadBuiltinPlugins(this.context.defaultPlugins, loaded.plugins)
          : [];
    try {
      return await Exporter.create([...loaded.plugins, ...builtins], bus ? { bus } : {});
    } catch (error) {
      if (error instanceof ConfigError && loaded.filepath) {
        throw new ConfigError(`${loaded.filepath}: ${error.message}`, { problems: error.problems, cause: error });
      }
      throw error;
    }
  }

  protected reportError(error: unknown): number {
    // A setting that is missing or wrong is a usage error, also when a plugin raised it as another
    // error class with the CONFIG code.
    const usage = error instanceof ConfigError || (error instanceof HyperExportError && error.code === 'CONFIG');
    // Work that a signal cancelled exits as shells expect of it (SIGINT 130, SIGTERM 143).
    const code = usage ? ExitCode.USAGE : (interruptionExitCode(error) ?? ExitCode.EXPORT_FAILED);
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ type: 'error', exitCode: code, ...errorFields(error) })}\n`);
    }
    this.context.stderr.write(`${formatError(error)}\n`);
    return code;
  }
}

/** What `--json` prints, as each command's help says it. An error is always one `{"type":"error"}` object. */
export const JSON_OUTPUT = {
  oneObject: 'Print the result as one JSON object on stdout',
  events: 'Print NDJSON on stdout: progress events, then a final result object',
  warningsThenResult: 'Print NDJSON on stdout: any warnings, then a final result object',
  onePerLine: (item: string) => `Print NDJSON on stdout: one JSON object per ${item}`,
} as const;

/** The `--json` flag with the description of what this command prints. */
export function jsonOption(description: string): boolean {
  return Option.Boolean('--json', false, { description });
}

export function errorFields(error: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = { message: error instanceof Error ? error.message : String(error) };
  if (error instanceof HyperExportError) {
    fields.code = error.code;
    if (error.hint) fields.hint = error.hint;
  }
  if (error instanceof ConfigError && error.problems.length > 0) fields.problems = error.problems;
  if (error instanceof PluginError) Object.assign(fields, { plugin: error.plugin, hook: error.hook });
  // The last words of a command leave the process (a terminal, a CI log): no URL password in them.
  return redactCredentialsDeep(fields);
}

/** One readable block: the message, every collected problem, and the hint. */
export function formatError(error: unknown): string {
  const lines = [`error: ${error instanceof Error ? error.message : String(error)}`];
  if (error instanceof ConfigError && error.problems.length > 1) for (const problem of error.problems) lines.push(`  - ${problem}`);
  if (error instanceof HyperExportError && error.hint) lines.push(`hint: ${error.hint}`);
  if (!(error instanceof HyperExportError) && error instanceof Error && isDebugTracing()) lines.push(error.stack ?? '');
  return redactUrlCredentials(lines.join('\n'));
}
