// The clipanion Cli with what HyperExport's command line needs on top: named option values
// (`--output,-o DIR`, see placeholders.ts) in every usage line, help page and definition; colours
// only for a terminal that wants them; one suggestion for a mistyped command instead of every usage
// line; and a bare group (`hyperexport remote`) listing its commands.
import { Cli, Command } from 'clipanion';
import type { BaseContext, CliOptions, CommandClass } from 'clipanion';
import { brandError } from '../errors.ts';
import { resolveCommandLine } from './command-paths.ts';
import type { CommandPath, Resolution } from './command-paths.ts';
import { clipanionDefinition, optionDefinition, registeredOptions } from './placeholders.ts';
import type { RegisteredOption } from './placeholders.ts';

type UsageOptions = { detailed?: boolean; inlineOptions?: boolean };
type Usage = { usage: string; options: Array<{ definition: string; description: string; required: boolean }> };
type Arity = { leading: string[]; trailing: string[]; extra: string[] | symbol; proxy: boolean };

/** A registered command as the views of the CLI (help, completion, docs) need it. */
export interface RegisteredCommand {
  readonly path: CommandPath;
  readonly commandClass: CommandClass;
  readonly options: RegisteredOption[];
  /** Names of the positional arguments, in order; `...` for any number. */
  readonly positionals: string[];
}

/** A command line clipanion cannot parse, explained in one message: exit code 2. */
export class CommandLineError extends Error {
  static {
    brandError(this, 'hyperexport.CommandLineError');
  }

  readonly clipanion = { type: 'none' as const };
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'CommandLineError';
    this.hint = hint;
  }
}

export class HyperExportCli extends Cli {
  constructor(options: Partial<CliOptions> = {}) {
    // Without an explicit choice clipanion asks the tty module, which says yes also for a pipe.
    super({ ...options, enableColors: options.enableColors ?? false });
  }

  /** The options of a registered command class, with their placeholders, in declaration order. */
  optionsOf(commandClass: unknown): RegisteredOption[] {
    const record = this.registrations.get(commandClass as never);
    if (!record) throw new Error('optionsOf: the command class is not registered');
    return registeredOptions(record.builder);
  }

  /** Every path of every documented command (clipanion's own -h/-v entries left out), sorted. */
  commands(): RegisteredCommand[] {
    const commands: RegisteredCommand[] = [];
    for (const [commandClass, record] of this.registrations) {
      if (!commandClass.usage) continue;
      const arity = (record.builder as unknown as { arity: Arity }).arity;
      const positionals = [...arity.leading, ...(Array.isArray(arity.extra) ? arity.extra : ['...']), ...arity.trailing];
      for (const path of commandClass.paths ?? []) {
        if (path.length > 0) commands.push({ path, commandClass, options: registeredOptions(record.builder), positionals });
      }
    }
    return commands.sort((a, b) => a.path.join(' ').localeCompare(b.path.join(' ')));
  }

  /** The option-like paths clipanion's built-ins answer at the top: -h, --help, the version flags. */
  topLevelFlags(): string[] {
    const flags: string[] = [];
    for (const commandClass of this.registrations.keys()) {
      for (const path of commandClass.paths ?? []) if (path.length === 1 && path[0]!.startsWith('-')) flags.push(path[0]!);
    }
    return [...new Set(flags)];
  }

  /** The usage line of a command: its path, positionals and required options, with placeholders. */
  usageLine(commandClass: CommandClass): string {
    return this.getUsageByRegistration(commandClass, { detailed: true, inlineOptions: false }).usage;
  }

  // @ts-expect-error clipanion's overloads type the context by the Context parameter; any partial one does.
  override process(input: string[], context?: Partial<BaseContext>): Command {
    const commands = this.commands();
    const resolution = resolveCommandLine(
      input,
      commands.map((command) => command.path),
      (path) => commands.find((command) => command.path === path)!.positionals.length > 0,
    );
    if (resolution.kind === 'group') {
      const members = resolution.members.map((path) => commands.find((command) => command.path === path)!);
      const listing = new GroupListingCommand(resolution.group, members, this);
      listing.context = { ...Cli.defaultContext, ...context };
      return listing;
    }
    if (resolution.kind === 'unknown') throw this.unknownCommand(resolution);
    try {
      const command = (super.process as (input: string[], context?: Partial<BaseContext>) => Command)(input, context);
      if (command instanceof IntrospectingCommand) command.owner = this;
      return command;
    } catch (error) {
      throw this.explain(error, input, resolution);
    }
  }

  override error(error: unknown, options?: { colored?: boolean; command?: Command | null }): string {
    if (error instanceof CommandLineError) return `error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`;
    // A bad option value (a validator's UsageError): one line naming the command, as above,
    // instead of clipanion's "Usage Error" and the command's usage with every option.
    const path = options?.command?.path;
    if ((error as { clipanion?: { type?: string } } | null)?.clipanion?.type === 'usage' && path && path.length > 0) {
      const words = path.join(' ');
      return `error: ${words}: ${(error as Error).message}\nhint: run \`${this.binaryName} help ${words}\` for its options\n`;
    }
    return super.error(error, options as never);
  }

  private unknownCommand(resolution: Extract<Resolution, { kind: 'unknown' }>): CommandLineError {
    const typed = resolution.words.join(' ');
    if (resolution.suggestion) {
      return new CommandLineError(
        `unknown command "${typed}"; did you mean \`${this.binaryName} ${resolution.suggestion.join(' ')}\`?`,
        `run \`${this.binaryName} help\` for the list of commands`,
      );
    }
    return new CommandLineError(`unknown command "${typed}"`, `run \`${this.binaryName} help\` for the list of commands`);
  }

  /** clipanion's syntax errors list every candidate usage (with `#0`, some twice): keep the reason, name the one usage. */
  private explain(error: unknown, input: readonly string[], resolution: Resolution): unknown {
    const name = (error as Error | undefined)?.name;
    if (name === 'UsageError' && resolution.kind === 'command') {
      // A bad option value, found by its validator while parsing.
      const path = resolution.path.join(' ');
      return new CommandLineError(`${path}: ${(error as Error).message}`, `run \`${this.binaryName} help ${path}\` for its options`);
    }
    if (name !== 'UnknownSyntaxError' && name !== 'AmbiguousSyntaxError') return error;
    const candidates = (error as { candidates?: Array<{ reason: string | null }> }).candidates ?? [];
    const reason = candidates.find((candidate) => candidate.reason)?.reason ?? 'the arguments do not match its usage';
    let message = (reason.charAt(0).toLowerCase() + reason.slice(1)).replace(/\.$/, '');
    if (resolution.kind !== 'command') return new CommandLineError(message, `run \`${this.binaryName} help\` for the list of commands`);
    const command = this.commands().find((registered) => registered.path === resolution.path)!;
    // clipanion gives no reason when a required option is missing: name it.
    const given = new Set(input.map((arg) => arg.split('=')[0]));
    const missing = command.options.find((option) => option.required && !option.names.some((name) => given.has(name)));
    if (!candidates.some((candidate) => candidate.reason) && missing) message = `missing ${optionDefinition(missing)}`;
    const path = resolution.path.join(' ');
    const usage = this.usageLine(command.commandClass);
    const shown = usage === `${this.binaryName} ${path}` ? '' : ` (usage: ${usage})`;
    return new CommandLineError(`${path}: ${message}`, `run \`${this.binaryName} help ${path}\` for its options${shown}`);
  }

  protected override getUsageByIndex(index: number, opts?: UsageOptions): Usage {
    // Without options clipanion wants the short usage (the list of commands, an error): it would
    // inline every option; the path, positionals and required options are what a line can hold.
    const usage = super.getUsageByIndex(index, opts ?? { detailed: true, inlineOptions: false }) as Usage;
    const record = [...this.registrations.values()].find((registration) => registration.index === index);
    if (!record) return usage;
    let line = usage.usage;
    const options = usage.options.map((option) => ({ ...option }));
    for (const option of registeredOptions(record.builder)) {
      const theirs = clipanionDefinition(option);
      const ours = optionDefinition(option);
      if (theirs === ours) continue;
      line = line.replace(`[${theirs}]`, `[${ours}]`).replace(`<${theirs}>`, `<${ours}>`);
      for (const listed of options) if (listed.definition === theirs) listed.definition = ours;
    }
    return { usage: line, options };
  }
}

/** A command that reads the CLI's own command definitions (completion, help listings). */
export abstract class IntrospectingCommand extends Command {
  /** Set by HyperExportCli.process; clipanion's `this.cli` exposes no registrations. */
  owner!: HyperExportCli;
}

/**
 * What a bare group prints (`hyperexport remote`): its commands, one line each, and exit code 0,
 * as `git stash`-style groups and `plugins`/`profiles` (which run their list) do: asking what a
 * group holds is no error. A mistyped member (`remote sl`) is one: exit code 2.
 */
export class GroupListingCommand extends Command {
  readonly group: CommandPath;
  readonly members: readonly RegisteredCommand[];
  private readonly owner: HyperExportCli;

  constructor(group: CommandPath, members: readonly RegisteredCommand[], owner: HyperExportCli) {
    super();
    this.group = group;
    this.members = members;
    this.owner = owner;
  }

  async execute(): Promise<number> {
    const name = this.owner.binaryName;
    const rows = this.members.map((member) => [this.owner.usageLine(member.commandClass), member.commandClass.usage?.description ?? '']);
    const width = Math.max(...rows.map(([usage]) => usage!.length));
    const lines = [
      `${name} ${this.group.join(' ')}: a group of commands`,
      '',
      ...rows.map(([usage, description]) => `  ${usage!.padEnd(width)}  ${description}`),
      '',
    ];
    lines.push(`Run \`${name} help ${this.group.join(' ')} COMMAND\` (or \`${name} ${this.group.join(' ')} COMMAND -h\`) for a command's options.`);
    this.context.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
}

/**
 * Colours only for a terminal: never when NO_COLOR is set (https://no-color.org) or stdout is a
 * pipe or file; FORCE_COLOR=0 turns them off and another FORCE_COLOR value on.
 */
export function wantsColors(context: Pick<BaseContext, 'env' | 'stdout'>): boolean {
  const env = context.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  const stdout = context.stdout as NodeJS.WriteStream;
  return stdout.isTTY === true && typeof stdout.getColorDepth === 'function' && stdout.getColorDepth(env) > 1;
}
