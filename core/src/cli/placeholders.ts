// Names for option values in help, usage lines, completion and docs: `--output,-o DIR` instead of
// clipanion's `--output,-o #0`. The placeholder travels with the option's definition: whoever
// declares an option (a core command, a plugin's command, an option generated from a plugin's
// setting declaration) names its value where it declares it, and every view of the CLI reads it
// from the registered command.

const PLACEHOLDER = Symbol('hyperexport.placeholder');

/** One option as clipanion's command builder records it, plus the value's name we attach. */
export interface RegisteredOption {
  readonly names: readonly string[];
  readonly description?: string;
  /** 0 for a flag (or a `tolerateBoolean` option), 1 for an option that takes a value. */
  readonly arity: number;
  readonly hidden: boolean;
  readonly required: boolean;
  [PLACEHOLDER]?: string;
}

/** What clipanion's Option.* functions return at run time (typed as the option's value). */
interface OptionSpec {
  definition: (builder: unknown, key: string) => void;
}

/**
 * Names the value of `option` in help and completion: `withPlaceholder('DIR', Option.String('--output,-o', {...}))`.
 * Conventions: DIR, FILE, PATH (either) and *_FILE complete paths in the shells, URL, N (a count), SIZE, NAME, REGEX, TIME,
 * a `a|b|c` list for a closed set; `tolerateBoolean` options show `[=PLACEHOLDER]`.
 */
export function withPlaceholder<T>(placeholder: string, option: T): T {
  if (!/^[A-Za-z0-9_|:.[\]-]+$/.test(placeholder)) throw new Error(`placeholder "${placeholder}" must be one word (letters, digits, _ | : . - [ ])`);
  const spec = option as unknown as OptionSpec;
  const define = spec.definition;
  spec.definition = (builder, key) => {
    const options = registeredOptions(builder);
    const before = options.length;
    define(builder, key);
    for (const added of options.slice(before)) added[PLACEHOLDER] = placeholder;
  };
  return option;
}

/** The options a command builder holds (clipanion keeps them in a public, untyped array). */
export function registeredOptions(builder: unknown): RegisteredOption[] {
  return (builder as unknown as { options: RegisteredOption[] }).options;
}

/** The name of an option's value; options declared without one read VALUE. */
export function placeholderOf(option: RegisteredOption): string | undefined {
  if (option.arity === 0) return option[PLACEHOLDER];
  return option[PLACEHOLDER] ?? 'VALUE';
}

/** The option as help shows it: `--output,-o DIR`, `--json`, `--keep-local[=BOOL]`. */
export function optionDefinition(option: RegisteredOption): string {
  const names = option.names.join(',');
  const placeholder = placeholderOf(option);
  if (option.arity === 0) return placeholder ? `${names}[=${placeholder}]` : names;
  return `${names}${` ${placeholder}`.repeat(option.arity)}`;
}

/** clipanion's own rendering, which help texts are rewritten from. */
export function clipanionDefinition(option: RegisteredOption): string {
  const args = Array.from({ length: option.arity }, (_, index) => ` #${index}`).join('');
  return `${option.names.join(',')}${args}`;
}

/** Placeholders that name a path: the shells complete files (FILE) or folders (DIR) for them. */
export function completesPath(placeholder: string | undefined): 'file' | 'dir' | undefined {
  if (placeholder === undefined) return undefined;
  if (placeholder === 'DIR') return 'dir';
  if (placeholder === 'FILE' || placeholder === 'PATH' || placeholder.endsWith('_FILE')) return 'file';
  return undefined;
}
