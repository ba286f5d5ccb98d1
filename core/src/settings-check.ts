// The usage check of a job's settings: before anything connects, reads or writes, each plugin
// parses the settings it reads (`spec.extra`: flags, a profile, the config's export section) and
// throws a ConfigError for a malformed one, so `--compress lz4` or `--upload ftp://x` is a usage
// error (exit code 2) naming the value, not a failed export after a connection was opened.
//
// Plugins tap `exporter.hooks.checkSettings`; every problem is collected and reported at once.
// A setting two plugins could act on (`--passphrase-file`: encrypt-aes or encrypt-pgp) cannot be
// judged by either alone: a plugin that will not act on it says so with `ignores`, one that will
// with `uses`, and a setting ignored by one and used by none is an error.
import { ConfigError, formatErrorWithHint } from './errors.ts';
import type { Exporter } from './exporter.ts';
import type { JobSpec } from './model.ts';
import { checkNameTemplate } from './name-template.ts';

export class SettingsCheck {
  readonly #problems: ConfigError[] = [];
  readonly #used = new Set<string>();
  readonly #ignored = new Map<string, ConfigError>();

  /** Records a problem (the exporter does it for a ConfigError thrown by a tap). */
  problem(error: ConfigError): void {
    this.#problems.push(error);
  }

  /** This plugin acts on the setting `key` for this job. */
  uses(key: string): void {
    this.#used.add(key);
  }

  /**
   * The setting `key` is given but this plugin will not act on it: an error (with this message
   * and hint) unless another plugin uses it. The first plugin to ignore a key names the problem.
   */
  ignores(key: string, message: string, hint?: string): void {
    if (!this.#ignored.has(key)) this.#ignored.set(key, new ConfigError(message, hint === undefined ? {} : { hint }));
  }

  /** Every problem found: thrown ones, then settings no plugin acts on. */
  get problems(): ConfigError[] {
    return [...this.#problems, ...[...this.#ignored].filter(([key]) => !this.#used.has(key)).map(([, error]) => error)];
  }
}

/**
 * Runs every plugin's check of the job's settings; throws one ConfigError naming every problem.
 * Called by the CLI before anything else, and by runJob and checkJob before they inspect.
 */
export async function checkSettings(exporter: Exporter, spec: JobSpec): Promise<void> {
  const check = new SettingsCheck();
  checkCoreSettings(spec, check);
  await exporter.hooks.checkSettings.promise(spec, check);
  const problems = check.problems;
  if (problems.length === 0) return;
  if (problems.length === 1) throw problems[0]!;
  throw new ConfigError(`${problems.length} problems with the export's settings`, { problems: problems.map((problem) => formatErrorWithHint(problem)) });
}

/** The settings the core reads itself: the export name and the tags. */
function checkCoreSettings(spec: JobSpec, check: SettingsCheck): void {
  const attempt = (body: () => void) => {
    try {
      body();
    } catch (error) {
      if (error instanceof ConfigError) check.problem(error);
      else throw error;
    }
  };
  if (spec.name !== undefined) attempt(() => checkNameTemplate(spec.name!));
  const tags = spec.extra.tags;
  if (tags !== undefined) {
    attempt(() => {
      if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string'))
        throw new ConfigError('tags must be a list of strings', { hint: 'give --tag TAG once per tag' });
      if (tags.some((tag: string) => tag.trim() === ''))
        throw new ConfigError('an empty --tag was given', { hint: 'give each tag a name, e.g. --tag weekly, or leave --tag out' });
    });
  }
}
