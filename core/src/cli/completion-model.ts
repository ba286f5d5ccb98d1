// What the shell completions (and the CLI reference) are generated from: the registered commands
// with their options, the value each option takes, and the words that can follow each prefix of a
// command path. Built from the live CLI, so plugins' commands and generated options are included.
import type { RegisteredCommand } from './hyperexport-cli.ts';
import { completesPath, placeholderOf } from './placeholders.ts';

/** How the shell completes a value: paths, folders, a closed set of words, or not at all. */
export type ValueCompletion = { kind: 'file' } | { kind: 'dir' } | { kind: 'words'; words: string[] } | { kind: 'none' };

export interface CompletionOption {
  /** `--output`, `-o`: every name of the option. */
  readonly names: string[];
  readonly description: string;
  /** Undefined for a flag. */
  readonly value: ValueCompletion | undefined;
  /** A flag that also takes `--flag=VALUE` (`--debug[=FILE]`): how that value completes. */
  readonly attachedValue?: ValueCompletion;
}

export interface CompletionCommand {
  /** `remote ls` */
  readonly path: string;
  readonly description: string;
  readonly options: CompletionOption[];
  /** How the positional arguments complete (the first one's kind; none when it takes none). */
  readonly positional: ValueCompletion | undefined;
}

export interface CompletionModel {
  readonly commands: CompletionCommand[];
  /** For each path prefix ('' for the top), the words that can follow it, with a description. */
  readonly next: Map<string, Array<{ word: string; description: string }>>;
}

/** The options every command has from clipanion itself. */
const HELP_OPTION: CompletionOption = { names: ['--help', '-h'], description: 'Show the help of this command', value: undefined };

export function valueCompletion(placeholder: string | undefined): ValueCompletion {
  const path = completesPath(placeholder);
  if (path) return { kind: path };
  if (placeholder && /^[a-z0-9]+(\|[a-z0-9]+)+$/.test(placeholder)) return { kind: 'words', words: placeholder.split('|') };
  return { kind: 'none' };
}

export function completionModel(commands: readonly RegisteredCommand[]): CompletionModel {
  const next = new Map<string, Array<{ word: string; description: string }>>();
  const model: CompletionCommand[] = [];
  for (const command of commands) {
    const description = command.commandClass.usage?.description ?? '';
    const options = command.options
      .filter((option) => !option.hidden)
      .map((option) => ({
        names: [...option.names],
        description: option.description ?? '',
        value: option.arity > 0 ? valueCompletion(placeholderOf(option)) : undefined,
        ...(option.arity === 0 && placeholderOf(option) ? { attachedValue: valueCompletion(placeholderOf(option)) } : {}),
      }));
    const first = command.positionals[0];
    model.push({
      path: command.path.join(' '),
      description,
      options: [...options, HELP_OPTION],
      positional: first === undefined ? undefined : valueCompletion(first === '...' ? undefined : first),
    });
    for (let depth = 0; depth < command.path.length; depth++) {
      const prefix = command.path.slice(0, depth).join(' ');
      const word = command.path[depth]!;
      const words = next.get(prefix) ?? [];
      const existing = words.find((entry) => entry.word === word);
      // A group's description: its own command's, else the list of what it holds.
      const isLeaf = depth === command.path.length - 1;
      if (!existing) words.push({ word, description: isLeaf ? description : '' });
      else if (isLeaf) existing.description = description;
      next.set(prefix, words);
    }
  }
  for (const [prefix, words] of next) {
    for (const entry of words) {
      if (entry.description) continue;
      const group = prefix ? `${prefix} ${entry.word}` : entry.word;
      entry.description = `${(next.get(group) ?? []).map((member) => member.word).join(', ')}`;
    }
    words.sort((a, b) => a.word.localeCompare(b.word));
  }
  return { commands: model, next };
}
