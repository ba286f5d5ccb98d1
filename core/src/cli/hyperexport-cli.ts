// The clipanion Cli with what HyperExport's help needs on top: named option values
// (`--output,-o DIR`, see placeholders.ts) in every usage line, help page and definition, and
// colours only for a terminal that wants them.
import { Cli } from 'clipanion';
import type { BaseContext, CliOptions } from 'clipanion';
import { clipanionDefinition, optionDefinition, registeredOptions } from './placeholders.ts';
import type { RegisteredOption } from './placeholders.ts';
import type { HyperExportContext } from './default-plugins.ts';

type UsageOptions = { detailed?: boolean; inlineOptions?: boolean };
type Usage = { usage: string; options: Array<{ definition: string; description: string; required: boolean }> };

export class HyperExportCli extends Cli<HyperExportContext> {
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

  protected override getUsageByIndex(index: number, opts?: UsageOptions): Usage {
    const usage = super.getUsageByIndex(index, opts) as Usage;
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
